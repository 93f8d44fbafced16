"""Real `*.prompt.yml` files (tests/fixtures/prompt_yml, sources in SOURCES.md): validate,
eval on their own (`agentci eval x.prompt.yml`), model parameters and response formats
sent, the llm evaluator scored by choice, ids stable when rows move."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentci.documents import load_document
from agentci.eval.cases import load_set
from agentci.repo import load_repo
from agentci.source import WorkTree
from agentci.validate import validate
from tests.conftest import init_repo, run_cli
from tests.eval.conftest import cases_of, evaluate_doc
from tests.servers.judge_stub import judge_stub

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prompt_yml"
REAL = sorted(p.name for p in FIXTURES.glob("*.prompt.yml"))


def _repo_with(
    tmp_path: Path, names: list[str], model: str = "{provider: openai, name: gpt-4o-mini}"
) -> Path:
    d = tmp_path / "agents" / "bot"
    (d / "evals").mkdir(parents=True)
    for n in names:
        shutil.copy(FIXTURES / n, d / "evals" / n)
    evals = ", ".join(f"evals/{n}" for n in names)
    (d / "agent.yaml").write_text(
        f"agent:\n  name: bot\n  model: {model}\n  prompt: p.md\n  evals: [{evals}]\n"
    )
    (d / "p.md").write_text("You help.\n")
    return tmp_path


def test_validate_reads_every_real_file(tmp_path):
    root = _repo_with(tmp_path, REAL)
    found = [f for f in validate(load_repo(WorkTree(root))) if f.rule == "prompt-file"]
    # Only the one file without testData whose user message needs variables is flagged, at its messages line.
    assert [(f.path, f.line) for f in found] == [
        ("agents/bot/evals/advanced_template_prompt.prompt.yml", 8)
    ]
    assert found[0].message.startswith(
        "the messages use {{additional_context}}, {{background_info}}, "
        "{{company}}, {{formality_level}}, {{input}}"
    )
    assert found[0].message.endswith(
        "but the file has no testData; nothing is sent with a placeholder left in it"
    )


def test_validate_lists_every_problem_with_its_line(tmp_path):
    root = _repo_with(tmp_path, [])
    bad = (
        "messages:\n"
        "  - {role: robot, content: hi}\n"  # line 2
        "  - {role: user, content: '{{input}}'}\n"
        "responseFormat: json_schema\n"  # line 4: no jsonSchema
        "testData:\n  - {input: a}\n"
        "evaluators:\n"
        "  - name: vibes\n    uses: github/vibes\n"  # line 8/9
        "  - name: judge\n    llm: {prompt: 'ok?'}\n"  # line 10/11: no choices
    )
    (root / "agents/bot/evals/bad.prompt.yml").write_text(bad)
    (root / "agents/bot/agent.yaml").write_text(
        "agent:\n  name: bot\n  model: {provider: openai, name: gpt-4o-mini}\n  prompt: p.md\n  evals: [evals/bad.prompt.yml]\n"
    )
    found = [
        (f.line, f.message) for f in validate(load_repo(WorkTree(root))) if f.rule == "prompt-file"
    ]
    assert [line for line, _ in found] == [2, 4, 9, 11]
    assert "messages[0] needs `role`" in found[0][1]
    assert "responseFormat json_schema needs `jsonSchema`" in found[1][1]
    assert "unknown evaluator 'github/vibes'" in found[2][1]
    assert "`llm` needs `choices`" in found[3][1]


def test_ids_come_from_row_content_and_survive_reordering(tmp_path):
    doc = load_document(WorkTree(FIXTURES), "json_schema_prompt.prompt.yml")
    ids = [c.id for c in load_set("bot", doc, "x.prompt.yml").cases]
    assert len(set(ids)) == 3 and all(i.startswith("row-") for i in ids)
    text = (FIXTURES / "json_schema_prompt.prompt.yml").read_text()
    swapped = text.replace(
        '  - animal: "dog"\n  - animal: "cat"\n', '  - animal: "cat"\n  - animal: "dog"\n'
    )
    assert swapped != text
    (tmp_path / "s.prompt.yml").write_text(swapped)
    moved = [
        c.id
        for c in load_set(
            "bot", load_document(WorkTree(tmp_path), "s.prompt.yml"), "x.prompt.yml"
        ).cases
    ]
    assert moved == [ids[1], ids[0], ids[2]]


def test_a_prompt_file_on_its_own_through_the_cli(tmp_path, stub):
    shutil.copy(FIXTURES / "json_schema_prompt.prompt.yml", tmp_path / "animals.prompt.yml")
    init_repo(tmp_path)
    out = tmp_path / "r.json"
    proc = run_cli(
        "eval",
        "animals.prompt.yml",
        "--provider",
        "openai",
        "--output",
        str(out),
        "--no-cache",
        cwd=tmp_path,
        env={"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": stub.url},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    (agent,) = data["agents"]
    assert agent["name"] == "animals-prompt" and agent["totals"]["passed"] == 3
    sent = [e["params"] for e in stub.log() if e["kind"] == "completions"]
    assert len(sent) == 3
    for params in sent:  # the file's responseFormat/jsonSchema, as gh models sends it
        fmt = params["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "animal_description"
        assert fmt["json_schema"]["strict"] is True
        assert fmt["json_schema"]["schema"]["required"] == ["name", "habitat", "diet"]
    case = next(iter(cases_of(data).values()))
    assert [a["type"] for a in case["assertions"]] == ["icontains", "icontains", "json-schema"]


def test_prompt_file_on_its_own_defaults_to_github_models(tmp_path):
    shutil.copy(FIXTURES / "text_summarizer.prompt.yml", tmp_path / "sum.prompt.yml")
    proc = run_cli("eval", "sum.prompt.yml", cwd=tmp_path, env={"GITHUB_TOKEN": ""}, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "the github provider needs an API key: GITHUB_TOKEN is not set" in proc.stderr


def test_model_parameters_are_sent(tmp_path, stub, eval_env):
    from agentci.eval.engine import EvalOptions

    root = _repo_with(tmp_path, ["sample_prompt.prompt.yml"])
    evaluate_doc(EvalOptions(root=root, progress=False))
    # (the file's github/similarity evaluator also asks the same stand-in, as judge, with a response_format)
    sent = [
        e["params"]
        for e in stub.log()
        if e["kind"] == "completions" and "response_format" not in e["params"]
    ]
    assert len(sent) == 2
    # temperature 0.5, maxTokens 50 from modelParameters; the agent's provider and model run it
    assert sent and all(
        p["temperature"] == 0.5 and p["max_tokens"] == 50 and p["model"] == "gpt-4o-mini"
        for p in sent
    )


def test_json_object_format_is_sent_and_checked(tmp_path, stub, eval_env):
    from agentci.eval.engine import EvalOptions

    root = _repo_with(tmp_path, ["json_response_prompt.prompt.yml"])
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    sent = [e["params"] for e in stub.log() if e["kind"] == "completions"]
    assert [p["response_format"] for p in sent] == [{"type": "json_object"}] * 2
    assert {c["status"] for c in cases_of(data).values()} == {"pass"}
    stub.state.ignore_format = True  # a server that answers prose: the responseFormat check fails
    data = evaluate_doc(EvalOptions(root=root, progress=False, no_cache=True))
    reasons = [
        a["reason"]
        for c in cases_of(data).values()
        for a in c["assertions"]
        if a["type"] == "is-json"
    ]
    assert len(reasons) == 2 and all(
        r.startswith("expected JSON in the output, found none") for r in reasons
    )


LLM_EVAL = """\
name: Polite replies
model: openai/gpt-4o-mini
messages:
  - role: user
    content: "[[reply:{{reply}}]]"
testData:
  - reply: Thank you for asking!
  - reply: Go away.
evaluators:
  - name: polite
    llm:
      modelId: openai/gpt-4o
      systemPrompt: "You grade politeness. {{judge_says}}"
      prompt: "Is this reply polite? {{completion}} Answer yes or no."
      choices:
        - choice: "yes"
          score: 1.0
        - choice: "no"
          score: 0.0
"""


@pytest.mark.parametrize(
    ("judge_says", "expected"), [("ANSWER: yes", "pass"), ("ANSWER: no", "fail")]
)
def test_llm_evaluator_keeps_system_prompt_and_choices(
    tmp_path, eval_env, monkeypatch, judge_says, expected
):
    from agentci.eval.engine import EvalOptions

    with judge_stub(api_key="k") as judge:
        monkeypatch.setenv("JUDGE_KEY", "k")
        root = _repo_with(tmp_path, [])
        (root / "agents/bot/evals/polite.prompt.yml").write_text(
            LLM_EVAL.replace("{{judge_says}}", judge_says)
        )
        (root / "agents/bot/agent.yaml").write_text(
            "agent:\n  name: bot\n  model: {provider: openai, name: gpt-4o-mini}\n  prompt: p.md\n"
            "  evals: [evals/polite.prompt.yml]\n"
        )
        (root / "agentci.yaml").write_text(
            f"eval:\n  judge: {{provider: openai, name: judge-model, base_url: '{judge.url}', api_key_env: JUDGE_KEY}}\n"
        )
        data = evaluate_doc(EvalOptions(root=root, progress=False))
    cases = list(cases_of(data).values())
    # the judge answers from its system prompt (the stand-in reads ANSWER: lines there),
    # so the verdict proves systemPrompt reached it; the choice's score is the score
    assert [c["status"] for c in cases] == [expected, expected]
    (assertion,) = cases[0]["assertions"]
    assert assertion["type"] == "llm-choice" and assertion["score"] == (
        1.0 if expected == "pass" else 0.0
    )
    assert (
        assertion["reason"] == f"polite: the judge chose {'yes' if expected == 'pass' else 'no'!r} "
        f"(score {1 if expected == 'pass' else 0})"
    )
