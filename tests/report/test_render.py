from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from agentci.eval import results as results_mod
from agentci.eval.gates import GateConfig
from agentci.eval.records import AgentResult, CaseRecord, ResultsFormatError, RunResults
from agentci.report import model
from agentci.report.render import COMMENT_LIMIT, Renderer
from tests.report.conftest import HOSTILE, load

FINDING = {
    "severity": "error",
    "path": "agents/x/agent.yaml",
    "line": 3,
    "rule": "schema",
    "message": "unknown key 'modle'",
    "hint": "did you mean 'model'?",
}


def typed(data: dict[str, Any]) -> RunResults:
    return results_mod.from_json(data)


def render(results: dict[str, Any], findings: list[dict[str, Any]] | None = None, **kw: Any) -> str:
    return Renderer().comment(model.build(typed(results), findings, **kw))


def test_regressions_come_first_then_new_failures_then_fixes() -> None:
    out = render(
        load("two_agents.json"), [FINDING], run_url="https://github.com/o/r/actions/runs/7"
    )
    assert out.startswith("<!-- agentci:agentci -->\n")
    order = [
        out.index(s)
        for s in (
            "Regressions",
            "refund-window",
            "New failures",
            "new-case",
            "Fixed",
            "shipping-time",
            "Validation findings",
            "**Gate:**",
            "actions/runs/7",
        )
    ]
    assert order == sorted(order)
    # The regression shows input, expected, the failing assertion's reason and the output.
    reg = out[out.index("Regressions") : out.index("New failures")]
    assert "Question for refund" in reg and "30 days" in reg
    assert "output does not contain '30 days'" in reg and "within 14 days" in reg
    # Rates are derived from the cases (base: 2 of the 3 cases it ran passed), not the file's.
    assert "| `support-bot` |" in out and "66.7%" in out and "-16.7 pp" in out and "🔻" in out


def test_chart_only_when_more_than_one_agent_changed() -> None:
    two = render(load("two_agents.json"))
    assert (
        "```mermaid\nxychart-beta" in two
        and "bar [50.0, 100.0]" in two
        and "line [66.7, 50.0]" in two
    )
    one = render(load("one_agent_pass.json"))
    assert "mermaid" not in one
    # The file says passed, but it holds a regression: the verdict is derived, never read.
    assert "❌ **failed**" in one and "1 regressions > max 0" in one.replace("&gt;", ">")
    lenient = results_mod.recompute(
        typed(load("one_agent_pass.json")), GateConfig(min_pass_rate=0.5, max_regressions=1)
    )
    assert "✅ **passed**" in Renderer().comment(model.build(lenient))


def test_hostile_output_is_inert() -> None:
    out = render(load("hostile.json"))
    assert HOSTILE not in out
    # Raw HTML tags other than our own layout never appear.
    tags = set(re.findall(r"</?([a-zA-Z]+)", out))
    assert tags <= {"details", "summary", "pre"}
    assert out.count("<details>") == out.count("</details>")
    assert out.count("<pre>") == out.count("</pre>")
    assert not re.search(r"(?<![\w\u2060])@(org|admin)", out)
    assert not re.search(r"#\d", out)
    assert "onerror" in out and "&lt;img" in out  # shown, as text


def test_per_case_truncation_is_announced() -> None:
    results = load("one_agent_pass.json")
    results["agents"][0]["cases"][0]["output"] = "A" * 5000
    out = render(results, max_output=600)
    assert "4,400 more characters cut" in out


def test_huge_results_fit_under_github_limit_and_say_what_was_cut() -> None:
    results = load("two_agents.json")
    agent = results["agents"][0]
    template = agent["cases"][0]
    agent["cases"] = []
    for i in range(3000):
        case = copy.deepcopy(template)
        case["id"] = f"case-{i}"
        case["output"] = f"output {i} " + "z" * 3000
        agent["cases"].append(case)
    out = render(results, [FINDING] * 400)
    assert len(out) <= COMMENT_LIMIT
    assert re.search(r"> \d+ case\\\(s\\\) not listed here", out)
    assert "job summary" in out and "agentci\\-results artifact" in out
    assert "case-0" in out  # the first regressions are still shown
    assert out.count("<pre>") == out.count("</pre>")
    summary = Renderer().summary(model.build(typed(results), [FINDING] * 400))
    assert len(summary.encode()) <= 1024 * 1024


def test_missing_optional_fields_render() -> None:
    run = RunResults(repo="", agents=[AgentResult("x", cases=[CaseRecord("c", "s.yaml", "fail")])])
    out = Renderer().comment(model.build(results_mod.recompute(run)))
    assert "`x`" in out and "New failures" in out


def test_a_damaged_document_names_the_first_bad_value() -> None:
    import pytest

    bad = {"version": 1, "agents": [{"name": "x", "sets": [], "cases": [{"status": "fail"}]}]}
    with pytest.raises(ResultsFormatError, match=r"^agents\[0\]\.cases\[0\]\.id: missing"):
        typed(bad)


def test_templates_dir_overrides_one_file(tmp_path: Path) -> None:
    (tmp_path / "pr_comment.md.j2").write_text(
        "{{ marker }}\ncustom {{ report.agents[0].name }} {{ report.gate_reasons[0] }}\n"
    )
    run = typed(load("two_agents.json"))
    run.gate.reasons = ["@x"]
    out = Renderer(tmp_path).comment(model.build(run))
    assert out == "<!-- agentci:agentci -->\ncustom support\\-bot @\u2060x\n"


def test_marker_follows_config_and_cannot_close_the_comment() -> None:
    assert render(load("two_agents.json"), marker="evals-b").startswith("<!-- agentci:evals-b -->")
    assert render(load("two_agents.json"), marker="x --> <b>").startswith(
        "<!-- agentci:x------b- -->"
    )


def test_deploy_status_template() -> None:
    out = Renderer().deploy_status(
        {
            "commit": "abcdef1234567890",
            "environment": "production",
            "agents": [
                {
                    "name": "bot",
                    "sync": "Synced",
                    "health": "Healthy",
                    "files_sent": 2,
                    "files_unchanged": 5,
                }
            ],
        }
    )
    assert "| `bot` | Synced | Healthy | 2 | 5 |" in out and "`abcdef123456`" in out


def test_junit_and_sarif(tmp_path: Path) -> None:
    from xml.etree import ElementTree as ET

    from agentci.report import formats, junit

    root = ET.fromstring(junit.to_xml(typed(load("hostile.json"))))
    assert root.get("tests") == "4" and root.get("failures") == "2"
    sarif = json.loads(formats.sarif(typed(load("two_agents.json")), [FINDING]))
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert rules == {"schema", "eval-regression", "eval-failure"}
