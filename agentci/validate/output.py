"""Render findings: text (grouped by file), json, github (annotations), sarif."""

from __future__ import annotations

import json
from itertools import groupby

from agentci.findings import Finding, Severity


def render(findings: list[Finding], fmt: str, *, agents: int = 0, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps({"agents": agents, "findings": [f.to_json() for f in findings]}, indent=2) + "\n"
    return _text(findings, agents, color)


def _text(findings: list[Finding], agents: int, color: bool) -> str:
    def paint(code: str, s: str) -> str:
        return f"\033[{code}m{s}\033[0m" if color else s

    lines: list[str] = []
    for path, group in groupby(findings, key=lambda f: f.path):
        lines.append(paint("1", path))
        for f in group:
            sev = paint("31" if f.severity is Severity.ERROR else "33", f.severity.value)
            lines.append(f"  {f.line or '-'}:{f.column or '-'}  {sev}  {f.message}  [{f.rule}]")
            if f.hint:
                lines.append(f"      fix: {f.hint}")
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = sum(f.severity is Severity.WARNING for f in findings)
    lines.append(f"{agents} agent(s) checked: {errors} error(s), {warnings} warning(s)")
    return "\n".join(lines) + "\n"
