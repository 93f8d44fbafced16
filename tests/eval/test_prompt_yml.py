"""GitHub Models *.prompt.yml files mapped to agentci eval sets (real files, real loader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentci.documents import load_document
from agentci.errors import AgentciError
from agentci.eval.assertions.base import Context
from agentci.eval.assertions.registry import parse_spec, run_assertion
from agentci.eval.cases import load_set
from agentci.eval.prompt_yml import case_id, template, to_eval_set
from agentci.eval.providers.base import Response
from agentci.source import WorkTree

PROMPT = """\
name: Support answers
description: Answers support questions
model: openai/gpt-4o-mini
modelParameters:
  temperature: 0.2
  maxTokens: 100
messages:
  - role: system
    content: 'You answer for {{company}}. Example JSON: {"a": {{count}}}'
  - role: user
    content: "Question: {{input}}"
testData:
  - input: How long do I have to return an item?
    expected: 30 days
    company: Acme
  - id: shipping
    input: How long does express take?
    expected: 2 business days
    company: Acme
    context: Express shipping takes 2 business days.
evaluators:
  - name: has-expected
    string:
      contains: "{{expected}}"
  - name: polite-start
    string:
      startsWith: "Thanks"
  - name: ends
    string:
      endsWith: "."
  - name: exact
    string:
      equals: "{{expected}}"
  - name: similar
    uses: github/similarity
  - name: grounded
    uses: github/groundedness
  - name: judge
    llm:
      modelId: openai/gpt-4o
      prompt: "Does {{completion}} answer '{{input}}'?"
      choices:
        - {choice: "yes", score: 1.0}
        - {choice: "no", score: 0.0}
"""


def write(tmp_path: Path, text: str, name: str = "support.prompt.yml"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return load_document(WorkTree(tmp_path), name)


def test_maps_rows_to_cases(tmp_path):
    data = to_eval_set(write(tmp_path, PROMPT))
    first, second = data["cases"]
    # ids from the row's content (stable when rows move), or the row's own id
    assert first["id"] == case_id(
        {"input": "How long do I have to return an item?", "expected": "30 days", "company": "Acme"}
    ) and first["id"].startswith("row-")
    assert second["id"] == "shipping"
    assert first["_line"] == 13 and second["_line"] == 16
    assert first["input"] == "Question: How long do I have to return an item?"
    assert first["expected"] == "30 days"
    assert "context" not in first and second["context"] == [
        "Express shipping takes 2 business days."
    ]
    assert first["vars"]["company"] == "Acme"
    # the system prompt is filled GitHub-style and protected from agentci's Jinja rendering
    assert (
        first["system"]
        == '{% raw %}You answer for Acme. Example JSON: {"a": {{count}}}{% endraw %}'
    )
    assert data["description"] == "Answers support questions"
    assert data["model"] == {
        "name": "openai/gpt-4o-mini",
        "params": {"temperature": 0.2, "max_tokens": 100},
    }


def test_evaluators_become_assertions(tmp_path):
    asserts = to_eval_set(write(tmp_path, PROMPT))["cases"][0]["assert"]
    by_name = {a["name"]: a for a in asserts}
    assert by_name["has-expected"] == {
        "type": "icontains",
        "value": "30 days",
        "name": "has-expected",
    }
    assert (
        by_name["polite-start"]["type"] == "regex"
        and by_name["polite-start"]["value"] == r"(?i)\A\s*Thanks"
    )
    assert by_name["ends"]["value"] == r"(?i)\.\s*\Z"
    assert by_name["exact"] == {"type": "equals", "value": "30 days", "name": "exact"}
    assert (
        by_name["similar"]["type"] == "g-eval" and "expected output" in by_name["similar"]["value"]
    )
    assert by_name["grounded"]["type"] == "faithfulness"
    judge = by_name["judge"]  # scored by choice, as gh models eval scores it (llm_choice.py)
    assert judge["type"] == "llm-choice" and judge["args"]["model"] == "openai/gpt-4o"
    assert judge["value"] == "Does {{completion}} answer 'How long do I have to return an item?'?"
    assert judge["args"]["choices"] == [
        {"choice": "yes", "score": 1.0},
        {"choice": "no", "score": 0.0},
    ]
    for a in asserts:  # every mapped entry is a valid agentci assertion
        parse_spec(a)


def check(entry, output):
    return run_assertion(
        parse_spec(entry), Context(input="q", output=output, response=Response(text=output))
    )


def test_string_evaluators_behave_like_gh_models(tmp_path):
    asserts = {a["name"]: a for a in to_eval_set(write(tmp_path, PROMPT))["cases"][0]["assert"]}
    assert check(asserts["has-expected"], "You have 30 DAYS.").passed  # contains ignores case
    assert check(asserts["polite-start"], "  thanks for asking").passed
    assert not check(asserts["polite-start"], "No thanks").passed
    assert check(asserts["ends"], "Done. ").passed
    assert not check(asserts["exact"], "30 Days").passed  # equals is exact


def test_load_set_runs_the_mapping(tmp_path):
    es = load_set("support-bot", write(tmp_path, PROMPT), "support.prompt.yml")
    assert es.error is None
    assert [c.id for c in es.cases] == [es.cases[0].id, "shipping"] and es.cases[0].id.startswith(
        "row-"
    )
    assert es.cases[0].model == "openai/gpt-4o-mini" and es.cases[0].params == {
        "temperature": 0.2,
        "max_tokens": 100,
    }
    assert es.cases[1].line == 16
    assert es.cases[0].system is not None
    assert [a.type for a in es.cases[0].asserts][:2] == ["icontains", "regex"]
    assert all(c.error is None for c in es.cases)


def test_no_test_data_is_one_case(tmp_path):
    data = to_eval_set(write(tmp_path, "messages:\n  - role: user\n    content: Say hi\n"))
    assert [(c["id"], c["input"], c["assert"]) for c in data["cases"]] == [("prompt", "Say hi", [])]


def test_multi_turn_prompts_travel_in_one_user_turn(tmp_path):
    doc = write(
        tmp_path,
        "messages:\n  - {role: user, content: 'Hi {{n}}'}\n  - {role: assistant, content: Hello}\n"
        "  - {role: user, content: 'Bye'}\ntestData: [{n: Ann}]\n",
    )
    assert to_eval_set(doc)["cases"][0]["input"] == "user: Hi Ann\n\nassistant: Hello\n\nuser: Bye"


def test_template_leaves_unknown_names():
    assert template("{{a}} and {{ b }} and {{c}}", {"a": 1, "b": "x"}) == "1 and x and {{c}}"


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("name: x\n", "line 1: a prompt file needs a `messages:` list", "role: user"),
        (
            "messages:\n  - role: robot\n    content: hi\n",
            "line 2: messages[0] needs `role` (system, user or assistant)",
            "",
        ),
        (
            "messages:\n  - {role: system, content: hi}\n",
            "line 1: the prompt has no user message to send",
            "{{input}}",
        ),
        (
            "messages:\n  - {role: user, content: hi}\ntestData: {input: x}\n",
            "line 3: `testData` must be a non-empty list",
            "",
        ),
        (
            "messages:\n  - {role: user, content: hi}\ntestData:\n  - just a string\n",
            "line 4: testData[0] must be a mapping",
            "",
        ),
        (
            "messages:\n  - {role: user, content: hi}\nevaluators:\n  - name: e\n    uses: github/vibes\n",
            "line 5: evaluator 'e': unknown evaluator 'github/vibes'",
            "github/similarity",
        ),
        (
            "messages:\n  - {role: user, content: hi}\nevaluators:\n  - name: e\n    string: {contains: a, equals: b}\n",
            "evaluator 'e': `string` needs one of equals, contains, startsWith, endsWith",
            "",
        ),
        (
            "messages:\n  - {role: user, content: hi}\nevaluators:\n  - name: e\n",
            "line 4: evaluator 'e' needs exactly one of",
            "",
        ),
        (
            "messages:\n  - {role: user, content: hi}\nevaluators:\n  - name: e\n    llm: {modelId: m}\n",
            "evaluator 'e': `llm` needs a `prompt`",
            "",
        ),
    ],
)
def test_bad_files_name_the_line_and_the_fix(tmp_path, text, message, hint):
    with pytest.raises(AgentciError) as info:
        to_eval_set(write(tmp_path, text))
    assert message in info.value.message
    assert hint in info.value.hint


def test_bad_file_becomes_a_set_error_not_a_crash(tmp_path):
    es = load_set("a", write(tmp_path, "messages: []\n"), "support.prompt.yml")
    assert es.error is not None and es.error.startswith(
        "support.prompt.yml: line 1: a prompt file needs a `messages:` list"
    )
    assert es.cases == []


def test_system_prompt_reaches_the_model_verbatim_through_agentci_rendering(tmp_path):
    from agentci.eval.render import render

    text = (
        "messages:\n  - role: system\n    content: 'Hi {{name}}: keep {{unknown}}, {% if x %} and {% endraw %} as text'\n"
        "  - {role: user, content: q}\ntestData: [{name: Ann}]\n"
    )
    system = to_eval_set(write(tmp_path, text))["cases"][0]["system"]
    assert (
        render(system, {}, path="p.prompt.yml")
        == "Hi Ann: keep {{unknown}}, {% if x %} and {% endraw %} as text"
    )


def test_prompt_yml_eval_set_through_the_cli(tmp_path):
    import json

    from tests.conftest import init_repo, run_cli
    from tests.servers.openai_stub import Stub

    stub = Stub(api_key="sk-test")
    try:
        files = {
            "agents/bot/agent.yaml": f"agent:\n  name: bot\n  model: {{provider: openai, name: gpt-4o-mini, base_url: '{stub.url}'}}\n"
            "  prompt: system_prompt.md\n  evals: [evals/support.prompt.yml]\n",
            "agents/bot/system_prompt.md": "unused: the prompt file brings its own system message\n",
            "agents/bot/evals/support.prompt.yml": (
                "name: support\nmodel: openai/gpt-4o-mini\nmessages:\n"
                "  - {role: system, content: 'ANSWER: {{answer}}'}\n  - {role: user, content: '{{input}}'}\n"
                "testData:\n"
                "  - {input: How long to return?, expected: 30 days, answer: You have 30 DAYS.}\n"
                "  - {input: How fast is a refund?, expected: 5 business days, answer: No idea.}\n"
                "evaluators:\n  - name: has-expected\n    string: {contains: '{{expected}}'}\n"
                "  - name: ends-with-period\n    string: {endsWith: '.'}\n"
            ),
        }
        for rel, text in files.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
        init_repo(tmp_path)
        out = tmp_path / "results.json"
        proc = run_cli(
            "eval",
            "--output",
            str(out),
            "--no-cache",
            "--min-pass-rate",
            "0.5",
            cwd=tmp_path,
            env={"OPENAI_API_KEY": "sk-test"},
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        cases = json.loads(out.read_text())["agents"][0]["cases"]
        assert [(c["status"], c["line"]) for c in cases] == [("pass", 7), ("fail", 8)]
        assert all(c["id"].startswith("row-") for c in cases) and cases[0]["id"] != cases[1]["id"]
        assert cases[0]["output"] == "You have 30 DAYS."
        reasons = [a["reason"] for a in cases[1]["assertions"]]
        assert (
            reasons[0]
            == "expected output to contain '5 business days' (ignoring case), got 'No idea.'"
        )
        assert stub.stats()["completions"] == 2
    finally:
        stub.stop()
