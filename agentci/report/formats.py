"""SARIF from a run's results and validation findings: validation findings as they are,
failing eval cases as findings at their eval-set line, all written by the one SARIF writer
(`agentci.validate.sarif`). JUnit XML is `agentci.report.junit`."""

from __future__ import annotations

import json
from typing import Any

from agentci.eval.records import RunResults
from agentci.findings import Finding, Severity


def _finding(data: dict[str, Any]) -> Finding:
    """A finding as `agentci validate --format json` wrote it (read defensively: the file
    may come from elsewhere)."""
    severity = {s.value: s for s in Severity}.get(str(data.get("severity")), Severity.ERROR)
    line, column = data.get("line"), data.get("column")
    return Finding(
        rule=str(data.get("rule") or "agentci"),
        severity=severity,
        path=str(data.get("path") or ""),
        line=line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else 0,
        message=str(data.get("message") or ""),
        hint=str(data.get("hint") or ""),
        column=column
        if isinstance(column, int) and not isinstance(column, bool) and column > 0
        else 0,
    )


def case_findings(run: RunResults | None) -> list[Finding]:
    """One finding per failing case, at its line in its eval set."""
    out = []
    for agent, case in run.cases() if run else []:
        if not case.failing:
            continue
        why = case.error or "; ".join(case.failed_reasons)
        out.append(
            Finding(
                rule="eval-regression" if case.change == "regression" else "eval-failure",
                severity=Severity.ERROR,
                path=case.set,
                line=case.line,
                message=f"{agent.name}: case {case.id} {case.status}: {why}",
            )
        )
    return out


def sarif(run: RunResults | None, findings: list[dict[str, Any]]) -> str:
    from agentci.validate.sarif import sarif as write_sarif

    return json.dumps(write_sarif([*map(_finding, findings), *case_findings(run)]), indent=2) + "\n"
