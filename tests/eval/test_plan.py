"""Cases, rendering and providers: defaults merged, strict templates, tools both ways."""

from __future__ import annotations

import pytest

from agentci.eval.engine import EvalOptions
from tests.eval.conftest import cases_of, evaluate_doc
from tests.servers.anthropic_stub import start as start_anthropic

CASES = """\
defaults:
  threshold: 0.6
  vars: {tier: standard}
  assert: [{type: not-icontains, value: "as an AI"}]
repeat: 2
cases:
  - id: weighted
    input: hello
    assert:
      - {type: icontains, value: "30 days", weight: 3}
      - {type: icontains, value: "nowhere", weight: 1}
  - id: gold
    input: hi
    vars: {tier: gold}
    min_pass: 1
    assert: [{type: icontains, value: "gold"}]
  - id: no-var
    input: x
    vars: {missing: null}
"""


def test_defaults_vars_threshold_repeat_and_lines(stub, eval_env, agent_repo):
    prompt = "ANSWER: within {{ days }} days for {{ tier }}\n{% if extra %}{{ extra }}{% endif %}"
    root = agent_repo(prompt=prompt, cases=CASES, variables="{days: 30, extra: ''}")
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    got = cases_of(data)
    w = got["weighted"]
    assert w["line"] == 7 and w["threshold"] == 0.6 and w["runs"] == 2 and w["runs_passed"] == 2
    assert w["score"] == pytest.approx((1 + 3) / 5)  # not-icontains(1) + 30 days(3) of weight 5
    assert [a["type"] for a in w["assertions"]] == ["not-icontains", "icontains", "icontains"]
    assert got["gold"]["vars"] == {"tier": "gold"} and "for gold" in got["gold"]["output"]
    assert got["gold"]["status"] == "pass"
    # repeat: 2 -> two answers per case, each cached under its own key
    assert stub.stats()["completions"] == 6


def test_missing_template_variable_names_it(stub, eval_env, agent_repo):
    root = agent_repo(
        prompt="ANSWER: {{ days }} {{ company }}\n", cases="cases:\n  - id: a\n    input: q\n"
    )
    case = cases_of(evaluate_doc(EvalOptions(root=root, progress=False)))["a"]
    assert case["status"] == "error"
    assert "agents/bot/system_prompt.md: undefined template variable 'company'" in case["error"]
    assert stub.stats() == {}


def test_prompt_templates_are_sandboxed(stub, eval_env, agent_repo):
    root = agent_repo(
        prompt="{{ ''.__class__.__mro__[1].__subclasses__() }}",
        cases="cases:\n  - id: a\n    input: q\n",
    )
    case = cases_of(evaluate_doc(EvalOptions(root=root, progress=False)))["a"]
    assert case["status"] == "error" and "system_prompt.md" in case["error"]


def test_bad_assertion_entry_is_a_case_error_with_its_line(stub, eval_env, agent_repo):
    root = agent_repo(
        cases="cases:\n  - id: a\n    input: q\n    assert:\n      - {type: regex, value: '('}\n"
        "  - id: b\n    input: q\n"
    )
    got = cases_of(evaluate_doc(EvalOptions(root=root, progress=False)))
    assert got["a"]["status"] == "error" and got["a"]["error"].startswith(
        "agents/bot/evals/golden.yaml:5:"
    )
    assert "invalid regular expression" in got["a"]["error"]
    assert got["b"]["status"] == "pass"
    assert stub.stats()["completions"] == 1  # the bad case never reached the model


def test_unknown_assertion_type_fails_the_set_with_its_line(stub, eval_env, agent_repo):
    root = agent_repo(
        cases="cases:\n  - id: a\n    input: q\n    assert:\n      - {type: icontain, value: x}\n"
    )
    case = evaluate_doc(EvalOptions(root=root, progress=False))["agents"][0]["cases"][0]
    assert case["status"] == "error" and case["error"].startswith("agents/bot/evals/golden.yaml:5:")
    assert "'icontain' is not one of" in case["error"]


def test_broken_eval_set_is_an_error_not_a_silent_pass(stub, eval_env, agent_repo):
    root = agent_repo(cases="cases:\n  - id: a\n    input: [unclosed\n")
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert data["totals"]["errors"] == 1 and not data["gate"]["passed"]
    assert "golden.yaml:4:1: invalid YAML" in data["agents"][0]["cases"][0]["error"]


TOOL_CASE = """\
cases:
  - id: t
    input: 'please [[tool:lookup {"q": "refund"}]]'
    assert: [{type: tool-call, value: {name: lookup, arguments: {q: refund}}}]
"""


def test_openai_tool_calls_round_trip(stub, eval_env, agent_repo):
    case = cases_of(evaluate_doc(EvalOptions(root=agent_repo(cases=TOOL_CASE), progress=False)))[
        "t"
    ]
    assert case["tool_calls"] == [{"name": "lookup", "arguments": {"q": "refund"}}]
    assert case["status"] == "pass", case


def test_anthropic_provider_text_and_tool_use(eval_env, agent_repo, monkeypatch):
    server = start_anthropic(api_key="sk-ant-test")
    try:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.root)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        cases = (
            TOOL_CASE
            + "  - id: text\n    input: hi\n    assert: [{type: icontains, value: '30 days'}]\n"
        )
        root = agent_repo(
            cases=cases, model="{provider: anthropic, name: claude-test, temperature: 0}"
        )
        data = evaluate_doc(EvalOptions(root=root, progress=False))
        got = cases_of(data)
        assert got["t"]["status"] == "pass" and got["t"]["tool_calls"][0]["name"] == "lookup"
        assert got["text"]["status"] == "pass" and got["text"]["tokens"]["output"] > 0
        assert data["agents"][0]["provider"] == "anthropic"
        assert server.stats()["messages"] == 2
    finally:
        server.stop()


def test_prompts_rendered_once_per_vars_yet_random_templates_per_case(stub, eval_env, agent_repo):
    cases = "cases:\n" + "".join(
        f"  - id: c{i}\n    input: q{i}\n    vars: {{tier: t{i % 3}}}\n" for i in range(9)
    )
    root = agent_repo(prompt="ANSWER: tier {{ tier }}\n", cases=cases, variables="{tier: none}")
    got = cases_of(evaluate_doc(EvalOptions(root=root, progress=False)))
    assert [f"tier t{i % 3}" in got[f"c{i}"]["output"] for i in range(9)] == [True] * 9

    same = "cases:\n" + "".join(f"  - id: c{i}\n    input: q{i}\n" for i in range(9))
    root = agent_repo(prompt="ANSWER: n{{ range(100000) | random }}n\n", cases=same)
    got = cases_of(evaluate_doc(EvalOptions(root=root, progress=False, no_cache=True)))
    assert len({got[f"c{i}"]["output"] for i in range(9)}) > 1  # not one memoised draw
