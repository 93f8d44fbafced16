"""Findings: what validation (and loading) reports, each pointing at file:line with a fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from agentci.rules import RULES, Severity


@dataclass(frozen=True)
class Finding:
    rule: str  # stable id, e.g. "yaml-syntax"; see agentci.rules.RULES
    severity: Severity
    path: str  # repo-relative, POSIX
    line: int  # 1-based; 0 when the finding is about the whole file
    message: str
    hint: str = ""
    column: int = 0  # 1-based; 0 when unknown

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    @property
    def location(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}" + (f":{self.column}" if self.column else "")


def error(
    rule: str, path: str, line: int, message: str, hint: str = "", column: int = 0
) -> Finding:
    return Finding(rule, Severity.ERROR, path, line, message, hint or _default_hint(rule), column)


def warning(
    rule: str, path: str, line: int, message: str, hint: str = "", column: int = 0
) -> Finding:
    return Finding(rule, Severity.WARNING, path, line, message, hint or _default_hint(rule), column)


def _default_hint(rule: str) -> str:
    """Every finding carries a fix: when the caller gave none, the rule table's."""
    known = RULES.get(rule)
    return known.hint if known else ""


def sort_key(f: Finding) -> tuple[str, int, int, str]:
    return (f.path, f.line, f.column, f.rule)
