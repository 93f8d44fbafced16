"""Helpers shared by the assertion modules: value templating and short quotes for reasons."""

from __future__ import annotations

import re
from typing import Any

from agentci.eval.assertions.base import AssertionResult, Context

_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def render(value: str, ctx: Context) -> str:
    """`{{expected}}`, `{{input}}` and case vars inside a value; unknown names stay as written."""
    if "{{" not in value:  # nothing to fill (most values): no table, no scan
        return value
    known: dict[str, Any] = {**ctx.vars, "input": ctx.input}
    if ctx.expected is not None:
        known["expected"] = ctx.expected

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return str(known[name]) if name in known else m.group(0)

    return _VAR.sub(sub, value)


def quote(text: str, limit: int = 80) -> str:
    """A short, single-line repr for reasons; model output is untrusted and may be long."""
    flat = " ".join(str(text).split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def result(atype: str, passed: bool, reason: str, score: float | None = None) -> AssertionResult:
    return AssertionResult(
        atype, passed, (1.0 if passed else 0.0) if score is None else score, reason
    )
