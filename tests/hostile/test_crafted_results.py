"""Crafted results files given to `agentci report`, in every format: a clear error or a
report, never an internal error; JUnit stays well-formed XML whatever the case ids hold.

Issue #10: seven crafted results.json files ended in "internal error", and a case id with
a control character made `report --format junit` write invalid XML.
"""

from __future__ import annotations

import copy
import io
import json
import xml.dom.minidom
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from bounded_run import count

from agentci.cli import main as agentci_main

VALID = json.loads(
    (Path(__file__).parent.parent / "report" / "fixtures" / "two_agents.json").read_text()
)
FORMATS = ["markdown", "summary", "junit", "sarif", "json"]
CONTROL = "a\x01b\x1b[31mc\x00d\x7f\ufffe\ud800"


def _case(**edits: object) -> dict:
    data = copy.deepcopy(VALID)
    data["agents"][0]["cases"][0].update(edits)
    return data


def _agent(**edits: object) -> dict:
    data = copy.deepcopy(VALID)
    data["agents"][0].update(edits)
    return data


CRAFTED = {
    "latency-is-text": _case(latency_ms="x"),
    "latency-is-nan": _case(latency_ms=float("nan")),
    "control-chars-in-ids": _case(id=CONTROL, set=CONTROL),
    "control-chars-in-agent-name": _agent(name=CONTROL),
    "case-is-a-string": _agent(cases=["x"]),
    "sets-are-strings": _agent(sets=["x", 5]),
    "assertions-are-junk": _case(assertions=[None, "x", {"passed": "yes", "reason": 5}]),
    "deeply-nested-output": _case(output=json.loads("[" * 500 + "]" * 500)),
    "huge-numbers": _case(score=1e308 * 10, latency_ms=1e308, line=-(2**70)),
    "base-is-a-list": _case(base=[1, 2], change="regression"),
}


def _report(path: Path, fmt: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = agentci_main(["report", "--results", str(path), "--format", fmt])
    count(out.getvalue() + err.getvalue())
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_results_never_crash_report(tmp_path, name):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(CRAFTED[name], allow_nan=True))
    internal = []
    for fmt in FORMATS:
        rc, out, err = _report(path, fmt)
        if "internal error" in err or "Traceback" in err:
            internal.append(f"{fmt}: {err.strip().splitlines()[0]}")
            continue
        assert rc in (0, 2), (fmt, err)
        if fmt == "junit" and rc == 0:
            xml.dom.minidom.parseString(out.encode("utf-8", "surrogatepass"))  # well-formed XML 1.0
    assert internal == [], internal


def test_junit_is_well_formed_with_control_chars_in_ids(tmp_path):
    from agentci.eval import results
    from agentci.report import junit

    data = copy.deepcopy(VALID)
    for a in data["agents"]:
        a["name"] = CONTROL
        for c in a["cases"]:
            c["id"], c["set"] = CONTROL, CONTROL
    path = tmp_path / "junit.xml"
    junit.write(path, results.from_json(data))
    xml.dom.minidom.parseString(path.read_bytes())


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("latency-is-text", "agents[0].cases[0].latency_ms: expected a number, got str"),
        ("latency-is-nan", "agents[0].cases[0].latency_ms: expected a finite number"),
        ("case-is-a-string", "agents[0].cases[0]: expected an object, got str"),
        ("base-is-a-list", "agents[0].cases[0].base: expected an object, got list"),
        ("huge-numbers", "agents[0].cases[0].line: number out of range"),
    ],
)
def test_a_damaged_file_is_one_error_naming_file_path_and_fix(tmp_path, name, where):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(CRAFTED[name], allow_nan=True))
    rc, _, err = _report(path, "markdown")
    assert rc == 2
    first, hint = err.splitlines()[:2]
    assert first.startswith(f"agentci: error: {path}: damaged agentci results file: {where}")
    assert hint.startswith("  hint: pass the JSON written by `agentci eval --output PATH`")
