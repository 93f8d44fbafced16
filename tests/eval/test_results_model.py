"""The typed results model: one to_json/from_json pair, versioned; a file is evidence whose
counts, rates and verdict are derived again from its cases (issue #9); a wrong file is one
AgentciError naming the file and the fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from agentci.errors import AgentciError
from agentci.eval import gates, results
from agentci.eval.records import VERSION, RunResults
from tests.report.conftest import load


def test_round_trip_is_exact() -> None:
    run = results.from_json(load("two_agents.json"))
    doc = results.to_json(run)
    assert json.loads(json.dumps(doc)) == doc  # JSON-ready
    again = results.from_json(doc)
    assert again == run and results.to_json(again) == doc
    assert isinstance(run, RunResults) and run.version == VERSION == doc["version"]


def test_forged_counts_rates_and_verdict_are_ignored() -> None:
    data = copy.deepcopy(load("two_agents.json"))
    data["gate"].update(passed=True, verdict="pass", reasons=[])
    data["totals"].update(passed=6, failed=0, regressions=0, pass_rate=1.0)
    for a in data["agents"]:
        a.update(pass_rate=1.0, totals={"cases": 1, "passed": 1})
        for s in a["sets"]:
            s.update(gate_passed=True, pass_rate=1.0)
    run = results.from_json(data)
    assert run.gate.verdict == "fail" and not run.gate.passed
    assert run.totals.regressions == 1 and run.totals.failed == 2 and run.totals.passed == 4
    assert run.agents[0].pass_rate == 0.5
    # Only the thresholds are read, and a trusted gate replaces them.
    lax = copy.deepcopy(data)
    lax["gate"].update(min_pass_rate=0.0, max_regressions=99)
    assert results.from_json(lax).gate.passed
    strict = results.from_json(lax, gates.GateConfig())
    assert strict.gate.verdict == "fail" and strict.gate.min_pass_rate == 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"version": 2, "agents": []}, "not an agentci results file (version: results format 2"),
        ([], "not an agentci results file (expected an object, got list)"),
        ({"version": 1}, "not an agentci results file (agents: missing)"),
        (
            {
                "version": 1,
                "agents": [
                    {"name": "a", "sets": [], "cases": [{"id": "c", "set": "s", "status": "maybe"}]}
                ],
            },
            "damaged agentci results file: agents[0].cases[0].status: 'maybe' is not one of pass, fail, error, skipped",
        ),
        (
            {
                "version": 1,
                "agents": [{"name": "a", "sets": [], "cases": []}],
                "gate": {"min_pass_rate": "1"},
            },
            "damaged agentci results file: gate.min_pass_rate: expected a number, got str",
        ),
    ],
)
def test_a_wrong_file_is_one_clear_error(tmp_path: Path, content: object, message: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(content))
    with pytest.raises(AgentciError) as err:
        results.load(path)
    assert str(err.value) == f"{path}: {message}" or str(err.value).startswith(f"{path}: {message}")
    assert "agentci eval --output PATH" in (err.value.hint or "")


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('{"version": 1, "agents": [], "notes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(AgentciError, match=r"nested too deeply|not valid JSON"):
        results.load(path)


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(load("two_agents.json")))
    monkeypatch.setenv("AGENTCI_MAX_RESULTS_BYTES", "1000")
    with pytest.raises(AgentciError, match=r"more than the 1,000 agentci reads") as err:
        results.load(path)
    assert "AGENTCI_MAX_RESULTS_BYTES" in (err.value.hint or "")
    monkeypatch.setenv("AGENTCI_MAX_RESULTS_BYTES", "junk")  # the default, not a crash
    assert results.load(path).agents


def _run_with(output: str, vars_: dict) -> RunResults:
    run = results.from_json(copy.deepcopy(load("two_agents.json")))
    case = run.agents[0].cases[0]
    case.output, case.vars = output, vars_
    return run


@pytest.mark.parametrize(
    ("output", "vars_"),
    [
        ("plain ascii", {"n": 1, "x": 0.1, "tiny": 1e-7}),
        ('naïve café — 東京 \u2028 \x00 "quoted" \\ back', {"nested": [{"a": None}]}),
        ("lone \ud800 surrogate", {}),  # orjson refuses it: json writes it
        ("big", {"n": 2**70}),  # past 64 bits: json writes it
    ],
)
def test_the_written_document_is_what_json_writes(output: str, vars_: dict) -> None:
    """The compact writer (orjson, for speed) against json itself: the same JSON value for
    any text a model or a set can bring, falling back to json for what orjson refuses."""
    run = _run_with(output, vars_)
    written = results.dumps(run)
    expected = json.dumps(results.to_json(run), ensure_ascii=False, default=str)
    assert written.endswith("\n") and "\n" not in written[:-1]
    assert json.loads(written) == json.loads(expected)
