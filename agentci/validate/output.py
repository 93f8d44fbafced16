"""Render findings: text (grouped by file), json, github (workflow-command annotations), sarif."""

from __future__ import annotations

import json
from itertools import groupby

from agentci import safe_text
from agentci.findings import Finding, Severity

FORMATS = ("text", "json", "github", "sarif")


def render(findings: list[Finding], fmt: str, *, agents: int = 0, color: bool = False) -> str:
    if fmt == "json":
        return (
            json.dumps(
                {
                    "agents": agents,
                    "summary": _counts(findings),
                    "findings": [f.to_json() for f in findings],
                },
                indent=2,
            )
            + "\n"
        )
    if fmt == "github":
        return github(findings)
    if fmt == "sarif":
        from agentci.validate.sarif import sarif

        return json.dumps(sarif(findings), indent=2) + "\n"
    return _text(findings, agents, color)


def _counts(findings: list[Finding]) -> dict[str, int]:
    return {
        "errors": sum(f.severity is Severity.ERROR for f in findings),
        "warnings": sum(f.severity is Severity.WARNING for f in findings),
        "notes": sum(f.severity is Severity.NOTE for f in findings),
    }


_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.NOTE: "36"}


def _text(findings: list[Finding], agents: int, color: bool) -> str:
    def paint(code: str, s: str) -> str:
        return f"\033[{code}m{s}\033[0m" if color else s

    lines: list[str] = []
    for path, group in groupby(findings, key=lambda f: f.path):
        lines.append(paint("1", safe_text.terminal(path)))
        for f in group:
            where = f"{f.line}:{f.column}" if f.column else f"{f.line or '-'}"
            sev = paint(_COLORS.get(f.severity, "0"), f"{f.severity.value:<7}")
            lines.append(
                f"  {where:>7}  {sev}  {_one_line(f.message)}  {paint('2', f'[{f.rule}]')}"
            )
            if f.hint:
                lines.append(f"{'':>11}{paint('2', 'fix:')} {_one_line(f.hint)}")
    c = _counts(findings)
    summary = f"{agents} agent(s) checked: {c['errors']} error(s), {c['warnings']} warning(s)"
    if not findings:
        summary = paint("32", summary + " — all clean")
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    # Messages can quote file content; never let it start a new line in the terminal.
    return safe_text.terminal(" ".join(text.split()) if ("\n" in text or "\r" in text) else text)


# --- GitHub workflow commands ------------------------------------------------------------

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def annotation(f: Finding) -> str:
    props = [f"file={safe_text.command_property(safe_text.terminal(f.path))}"]
    if f.line:
        props.append(f"line={f.line}")
        if f.column:
            props.append(f"col={f.column}")
    props.append(f"title={safe_text.command_property(f'agentci {f.rule}')}")
    message = safe_text.terminal(f.message + (f"\nfix: {f.hint}" if f.hint else ""))
    return (
        f"::{_LEVEL.get(f.severity, 'notice')} {','.join(props)}::{safe_text.command_data(message)}"
    )


def github(findings: list[Finding]) -> str:
    lines = [annotation(f) for f in findings]
    c = _counts(findings)
    lines.append(f"agentci validate: {c['errors']} error(s), {c['warnings']} warning(s)")
    return "\n".join(lines) + "\n"
