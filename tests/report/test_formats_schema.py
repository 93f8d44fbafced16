"""JUnit and SARIF from `agentci report`, through the real CLI, checked against the published
schemas (tests/fixtures/schemas/): the one JUnit writer against junit-10.xsd, the one SARIF
writer against the OASIS SARIF 2.1.0 schema, hostile content included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.published_schemas import check_junit, check_sarif
from tests.report.conftest import FIXTURES

CONTROL = "a\x01b\x1b[31mc\x7fd"


def _results(tmp_path: Path, name: str, edit: bool = False) -> Path:
    data = json.loads((FIXTURES / name).read_text())
    if edit:  # control characters and odd names where ids, sets and agent names go
        agent = data["agents"][0]
        agent["name"] = CONTROL
        for c in agent["cases"]:
            c["id"], c["set"] = f"{c['id']} {CONTROL}", f"evals/dir with space/#{CONTROL}.yaml"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("name", "edit"),
    [("two_agents.json", False), ("hostile.json", False), ("two_agents.json", True)],
)
def test_report_junit_matches_junit_10_xsd(tmp_path: Path, name: str, edit: bool) -> None:
    proc = run_cli(
        "report",
        "--results",
        str(_results(tmp_path, name, edit)),
        "--format",
        "junit",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    check_junit(proc.stdout.encode())
    assert "<testsuite " in proc.stdout and "<failure " in proc.stdout


def test_report_sarif_matches_the_oasis_schema(tmp_path: Path) -> None:
    findings = tmp_path / "findings.json"
    findings.write_text(
        json.dumps(
            {
                "findings": [
                    {
                        "severity": "error",
                        "path": "agents/x y/agent.yaml",
                        "line": 3,
                        "rule": "schema",
                        "message": "m",
                    },
                    {
                        "severity": "warning",
                        "path": "agents/ü/#1.md",
                        "line": 0,
                        "rule": "plugin-x",
                        "message": "n",
                    },
                    {"severity": "odd", "path": None, "line": "7", "message": CONTROL},
                ]
            }
        )
    )
    for edit in (False, True):
        proc = run_cli(
            "report",
            "--results",
            str(_results(tmp_path, "two_agents.json", edit)),
            "--findings",
            str(findings),
            "--format",
            "sarif",
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        log = json.loads(proc.stdout)
        check_sarif(log)
        run = log["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        ids = {r["ruleId"] for r in run["results"]}
        assert {"schema", "plugin-x", "eval-regression", "eval-failure"} <= ids
        described = {r["id"]: r for r in rules}
        assert "base branch" in described["eval-regression"]["fullDescription"]["text"]


def test_the_schema_checks_can_fail() -> None:
    """The vendored schemas are strict where the writers must be: a `file` attribute on a
    testcase, or a SARIF result without a message, is refused."""
    with pytest.raises(AssertionError, match="file"):
        check_junit(
            b'<testsuites><testsuite name="s" tests="1" failures="0" errors="0">'
            b'<testcase name="c" file="x.yaml"/></testsuite></testsuites>'
        )
    log = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "agentci"}}, "results": [{"ruleId": "x"}]}],
    }
    with pytest.raises(AssertionError, match="message"):
        check_sarif(log)
    result = {
        "ruleId": "x",
        "message": {"text": "m"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a b/#c d"}}}],
    }
    log["runs"][0]["results"] = [result]
    with pytest.raises(AssertionError, match="uri-reference"):
        check_sarif(log)
