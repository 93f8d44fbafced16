"""Requests today's models accept: reasoning models on OpenAI, Claude 4.5 on Anthropic.

The stand-ins (tests/servers/openai_stub.py `reject`, anthropic_stub.py) answer with the
400 bodies the real APIs send for a parameter a model does not take; the eval must get
every case answered, adapt once when the table misses a model, and keep cut or refused
answers visible.
"""

from __future__ import annotations

import pytest

from agentci.eval.engine import EvalOptions
from agentci.eval.providers import families
from agentci.repo import load_repo
from agentci.source import WorkTree
from agentci.validate import validate
from tests.eval.conftest import cases_of, evaluate_doc, simple_cases
from tests.servers.anthropic_stub import start as start_anthropic

COPIED = "{provider: openai, name: %s, temperature: 0.2, max_tokens: 256}"


def _params(stub, kind="completions"):
    return [e["params"] for e in stub.log() if e["kind"] == kind]


def test_reasoning_model_gets_max_completion_tokens_and_no_temperature(stub, eval_env, agent_repo):
    root = agent_repo(model=COPIED % "o4-mini", cases=simple_cases(4))
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    cases = cases_of(data)
    assert {c["status"] for c in cases.values()} == {"pass"}
    assert stub.stats().get("rejected") is None  # decided before the call: no 400 at all
    sent = _params(stub)
    assert len(sent) == 4
    assert all(
        p["max_completion_tokens"] == 256 and "max_tokens" not in p and "temperature" not in p
        for p in sent
    )
    # usage.completion_tokens_details.reasoning_tokens is counted (the stub spends 64 thinking)
    assert all(
        c["tokens"]["reasoning"] == 64 and c["tokens"]["output"] >= 64 for c in cases.values()
    )


def test_a_model_the_table_does_not_know_is_adapted_once(stub, eval_env, agent_repo):
    stub.state.strict_models.add(
        "gpt-6-thinking"
    )  # answers as reasoning models do, name unknown to agentci
    assert not families.openai_reasoning("gpt-6-thinking")
    root = agent_repo(
        model=COPIED % "gpt-6-thinking", cases=simple_cases(5), config="eval: {concurrency: 1}\n"
    )
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert {c["status"] for c in cases_of(data).values()} == {"pass"}
    # one 400 for max_tokens, one for temperature, then every case answered
    assert stub.stats()["rejected"] == 2 and stub.stats()["completions"] == 5
    assert any(
        "refused `max_tokens` (unsupported_parameter); sent as max_completion_tokens" in n
        for n in data["notes"]
    )
    assert any("refused `temperature` (unsupported_value); left out" in n for n in data["notes"])


def test_plain_openai_compatible_server_keeps_max_tokens(stub, eval_env, agent_repo):
    # vLLM / llama.cpp / Ollama know max_tokens; only api.openai.com gets the new name for all models
    root = agent_repo(model=COPIED % "gpt-4o-mini", cases=simple_cases(1))
    evaluate_doc(EvalOptions(root=root, progress=False))
    assert _params(stub) == [
        {
            "model": "gpt-4o-mini",
            "temperature": 0.2,
            "max_tokens": 256,
            "tools": _params(stub)[0]["tools"],
        }
    ]


def test_cut_and_refused_answers_are_visible(stub, eval_env, agent_repo):
    cases = """\
cases:
  - id: cut
    input: "[[reply:one two three four five six seven eight nine ten eleven twelve]]"
    assert: [{type: icontains, value: "one"}]
  - id: refused
    input: "please [[refuse]]"
    assert: [{type: icontains, value: "30 days"}]
"""
    root = agent_repo(model="{provider: openai, name: gpt-4o-mini, max_tokens: 3}", cases=cases)
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    got = cases_of(data)
    assert got["cut"]["finish_reason"] == "length" and got["cut"]["status"] == "pass"
    assert got["refused"]["refusal"] == "I'm sorry, but I can't help with that."
    assert got["refused"]["finish_reason"] == "refusal" and got["refused"]["status"] == "fail"
    totals = data["agents"][0]["totals"]
    assert totals["truncated"] == 1 and totals["refused"] == 1

    from agentci.eval.results import from_json
    from agentci.report.model import build

    report = build(from_json(data))
    assert (
        "bot: 1 answer(s) cut at max_tokens and scored as cut (raise model.max_tokens); "
        "1 answer(s) refused by the model." in report.notes
    )
    (failing,) = report.agents[0].new_failures
    assert failing.reason == "the model refused: I'm sorry, but I can't help with that."


def test_validate_warns_once_per_parameter_with_its_line(agent_repo):
    root = agent_repo(cases=simple_cases(3))
    (root / "agents/bot/agent.yaml").write_text(
        "agent:\n  name: bot\n  model:\n    provider: openai\n    name: o4-mini\n    temperature: 0.2\n"
        "    max_tokens: 256\n  prompt: system_prompt.md\n  variables: {days: 30}\n  evals: [evals/golden.yaml]\n"
    )
    found = [f for f in validate(load_repo(WorkTree(root))) if f.rule == "model-param"]
    assert [(f.line, f.severity.value) for f in found] == [(6, "warning"), (7, "warning")]
    assert found[0].message == (
        "model 'o4-mini' does not accept `temperature` as written: dropped "
        "(reasoning models take only the default temperature)"
    )
    assert (
        "`max_tokens`" in found[1].message and "sent as max_completion_tokens" in found[1].message
    )


def test_validate_is_quiet_for_models_that_take_the_params(agent_repo):
    root = agent_repo(model=COPIED % "gpt-4o-mini", cases=simple_cases(1))
    assert not [f for f in validate(load_repo(WorkTree(root))) if f.rule == "model-param"]


@pytest.fixture
def anthropic(monkeypatch):
    s = start_anthropic(api_key="sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", s.root)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    yield s
    s.stop()


def test_claude_45_gets_one_sampler_and_a_real_budget(anthropic, eval_env, agent_repo):
    model = "{provider: anthropic, name: claude-sonnet-4-5, temperature: 0.2, top_p: 0.9}"
    root = agent_repo(model=model, cases=simple_cases(3))
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert {c["status"] for c in cases_of(data).values()} == {"pass"}
    sent = _params(anthropic, "messages")
    assert anthropic.stats().get("rejected") is None
    assert all(
        p["temperature"] == 0.2 and "top_p" not in p and p["max_tokens"] == 8192 for p in sent
    )
    found = [f for f in validate(load_repo(WorkTree(root))) if f.rule == "model-param"]
    assert [f.message for f in found] == [
        "model 'claude-sonnet-4-5' does not accept `top_p` as written: dropped "
        "(this model takes temperature or top_p, not both; temperature kept)"
    ]


def test_claude_unknown_to_the_table_is_adapted_once(anthropic, eval_env, agent_repo):
    anthropic.state.strict_models.add("claude-next")
    root = agent_repo(
        model="{provider: anthropic, name: claude-next, temperature: 0.2, top_p: 0.9}",
        cases=simple_cases(4),
        config="eval: {concurrency: 1}\n",
    )
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert {c["status"] for c in cases_of(data).values()} == {"pass"}
    assert anthropic.stats()["rejected"] == 1 and anthropic.stats()["messages"] == 4
    assert data["notes"] == [
        "anthropic: model 'claude-next' takes temperature or top_p, not both; top_p left out"
    ]


def test_claude_stop_reason_is_kept(anthropic, eval_env, agent_repo):
    cases = 'cases:\n  - id: long\n    input: "[[reply:one two three four five six seven eight]]"\n'
    root = agent_repo(
        model="{provider: anthropic, name: claude-3-haiku-20240307, max_tokens: 2}", cases=cases
    )
    case = cases_of(evaluate_doc(EvalOptions(root=root, progress=False)))["long"]
    assert case["finish_reason"] == "length" and case["output"] == "one two "


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-3-haiku-20240307", 4096),
        ("claude-3-5-sonnet-latest", 8192),
        ("claude-sonnet-4-5-20250929", 8192),
    ],
)
def test_claude_default_budget_within_each_models_output_limit(model, expected):
    # Output limits per Anthropic's models overview: Claude 3 Haiku 4,096; 3.5 Sonnet 8,192; 4.5 64,000.
    assert families.claude_max_tokens(model) == expected
