"""Cost per case, agent and run; cached answers cost 0; gates on cost and on cost increase.

Expected numbers are worked out here from the published prices (gpt-4o-mini: $0.15 input,
$0.60 output per 1M tokens, openai.com/api/pricing) and the tokens the stand-in reports,
not read back from agentci's table."""

from __future__ import annotations

import pytest

from agentci.eval.engine import EvalOptions
from agentci.eval.results import from_json
from agentci.report.model import build
from tests.conftest import commit_all, init_repo
from tests.eval.conftest import cases_of, evaluate_doc, simple_cases

GPT_4O_MINI = (0.15, 0.60)  # USD per 1M tokens, input and output


def _expected(case, price=GPT_4O_MINI):
    return (case["tokens"]["input"] * price[0] + case["tokens"]["output"] * price[1]) / 1e6


def test_cost_per_case_agent_and_run(stub, eval_env, agent_repo):
    root = agent_repo(
        model="{provider: openai, name: gpt-4o-mini-2024-07-18}", cases=simple_cases(3)
    )
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    cases = list(cases_of(data).values())
    for c in cases:
        assert c["cost"] == pytest.approx(_expected(c)) and c["cost"] > 0
    agent = data["agents"][0]
    assert agent["cost"]["head"] == pytest.approx(sum(_expected(c) for c in cases))
    assert (
        agent["price"]["key"] == "openai:gpt-4o-mini"
        and "openai.com/api/pricing" in agent["price"]["source"]
    )
    assert data["totals"]["cost"]["head"] == pytest.approx(agent["cost"]["head"])
    # the second run is served from the cache: it costs nothing, and says so
    again = evaluate_doc(EvalOptions(root=root, progress=False))
    assert all(c["cached"] and c["cost"] == 0 for c in cases_of(again).values())
    assert again["totals"]["cost"]["head"] == 0


def test_reasoning_tokens_are_billed_as_output(stub, eval_env, agent_repo):
    root = agent_repo(model="{provider: openai, name: o4-mini}", cases=simple_cases(1))
    (c,) = cases_of(evaluate_doc(EvalOptions(root=root, progress=False))).values()
    assert c["tokens"]["reasoning"] == 64
    assert c["cost"] == pytest.approx(_expected(c, (1.10, 4.40)))  # o4-mini: $1.10 in, $4.40 out


def test_price_from_agentci_yaml_and_unknown_models(stub, eval_env, agent_repo):
    config = "eval:\n  prices:\n    'openai:house-model': {input: 1.0, output: 2.0}\n"
    root = agent_repo(
        model="{provider: openai, name: house-model}", cases=simple_cases(2), config=config
    )
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    for c in cases_of(data).values():
        assert c["cost"] == pytest.approx(_expected(c, (1.0, 2.0)))
    assert data["agents"][0]["price"]["source"] == "agentci.yaml eval.prices"
    root = agent_repo(
        model="{provider: openai, name: mystery-model}", cases=simple_cases(2), config=""
    )
    data = evaluate_doc(EvalOptions(root=root, progress=False, no_cache=True))
    assert all(c["cost"] is None for c in cases_of(data).values())
    assert data["agents"][0]["cost"]["unpriced"] == 2 and data["totals"]["cost"]["head"] is None
    assert build(from_json(data)).cost_lines == []


def test_local_model_costs_nothing():
    from agentci.eval.cost import case_cost, price_for

    assert (
        case_cost(
            {"input": 1000, "output": 1000}, False, price_for("local", "smollm2-135m-instruct")
        )
        == 0
    )


def _base_and_head(tmp_path, head_days: str, config: str):
    from tests.eval.conftest import write_agent

    root = tmp_path / "repo"
    write_agent(
        root, model="{provider: openai, name: gpt-4o-mini}", cases=simple_cases(4), config=config
    )
    init_repo(root)
    # head: a longer prompt (more input tokens) and a longer answer (more output tokens)
    write_agent(
        root,
        model="{provider: openai, name: gpt-4o-mini}",
        cases=simple_cases(4),
        config=config,
        prompt="You help. " * 40 + f"\nANSWER: within {{{{ days }}}} days {head_days}\n",
    )
    commit_all(root, "longer prompt")
    return root


def test_cost_gates_head_vs_base(stub, eval_env, tmp_path):
    root = _base_and_head(
        tmp_path,
        "and here is a much longer answer than before " * 5,
        "eval:\n  gate: {max_cost_increase: 0.5}\n",
    )
    data = evaluate_doc(EvalOptions(root=root, base="HEAD~1", progress=False))
    run = data["totals"]["cost"]
    cases = list(cases_of(data).values())
    head = sum(_expected(c) for c in cases)
    base = sum((c["base"]["cost"]) for c in cases)
    assert run["head_compared"] == pytest.approx(head) and run["base"] == pytest.approx(base)
    assert (
        run["increase"] == pytest.approx((head - base) / base, rel=1e-4) and run["increase"] > 0.5
    )
    assert not data["gate"]["passed"]
    assert any(
        r.startswith(f"cost +{run['increase']:.0%} vs base > max +50%")
        for r in data["gate"]["reasons"]
    )
    lines = build(from_json(data)).cost_lines
    assert lines[0].startswith(f"this run ${run['head']:.6f} (base ${base:.6f}, +")
    assert lines[1].startswith("bot: $")


def test_max_cost_per_run(stub, eval_env, agent_repo):
    root = agent_repo(
        model="{provider: openai, name: gpt-4o-mini}",
        cases=simple_cases(2),
        config="eval:\n  gate: {max_cost: 0.0000001}\n",
    )
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert not data["gate"]["passed"] and data["gate"]["max_cost"] == 0.0000001
    head = data["totals"]["cost"]["head"]
    assert data["gate"]["reasons"] == [f"cost ${head:.6f} > max $0.000000"] and head > 0.0000001
    root2 = agent_repo(
        model="{provider: openai, name: gpt-4o-mini}",
        cases=simple_cases(2),
        config="eval:\n  gate: {max_cost: 1.0}\n",
    )
    assert evaluate_doc(EvalOptions(root=root2, progress=False, no_cache=True))["gate"]["passed"]


def test_comment_and_summary_show_the_cost(stub, eval_env, tmp_path):
    from agentci import safe_text
    from agentci.report.render import Renderer

    root = _base_and_head(tmp_path, "longer", "")
    data = evaluate_doc(EvalOptions(root=root, base="HEAD~1", progress=False))
    report = build(from_json(data))
    for text in (Renderer().comment(report), Renderer().summary(report)):
        line = next(ln for ln in text.splitlines() if ln.startswith("**Cost:**"))
        # markdown-escaped like every value (GitHub shows `\$` as `$`)
        assert line == "**Cost:** " + " · ".join(safe_text.md_inline(x) for x in report.cost_lines)
        assert report.cost_lines[0].startswith("this run $") and report.cost_lines[1].startswith(
            "bot: $"
        )
