"""Read the evidence of a results document into the typed model, checking every value.

Evidence is what a run observed and the thresholds it was given: case entries, the sets'
own thresholds, run metadata, the gate's thresholds. Counts, rates and verdicts in the
document are not read at all: `agentci.eval.results.from_json` derives them from the cases.

A file written by this version always reads back; a missing optional field takes its
default (older writers of version 1 left some out); a present field of the wrong type, a
non-finite number or an unknown status is a `ResultsFormatError` naming its JSON path.
"""

from __future__ import annotations

import math
from typing import Any

from agentci.eval.records import (
    CHANGES,
    STATUSES,
    VERSION,
    AgentResult,
    AssertionRecord,
    BaseCase,
    BaseRef,
    CaseRecord,
    Refusal,
    ResultsFormatError,
    RunResults,
    RunTotals,
    SetRecord,
    Tokens,
    Trust,
    Verdict,
)

_MISSING = object()


def _where(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__.replace("dict", "object")


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ResultsFormatError(where, f"expected an object, got {_kind(value)}")
    return value


def items(d: dict[str, Any], key: str, where: str, *, required: bool = False) -> list[Any]:
    value = d.get(key, _MISSING)
    if value is _MISSING or (value is None and not required):
        if required:
            raise ResultsFormatError(_where(where, key), "missing")
        return []
    if not isinstance(value, list):
        raise ResultsFormatError(_where(where, key), f"expected a list, got {_kind(value)}")
    return value


def text(d: dict[str, Any], key: str, where: str, default: Any = _MISSING) -> Any:
    """A string; `default` (often None) when absent or null, else required."""
    value = d.get(key)
    if value is None:
        if default is _MISSING:
            raise ResultsFormatError(_where(where, key), "missing (expected a string)")
        return default
    if not isinstance(value, str):
        raise ResultsFormatError(_where(where, key), f"expected a string, got {_kind(value)}")
    return value


def number(d: dict[str, Any], key: str, where: str, default: Any = None) -> Any:
    """A finite number (int or float, never a bool); `default` when absent or null."""
    value = d.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultsFormatError(_where(where, key), f"expected a number, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ResultsFormatError(_where(where, key), f"expected a finite number, got {value}")
    if isinstance(value, int) and abs(value) > 2**53:
        raise ResultsFormatError(_where(where, key), "number out of range")
    return value


def count(d: dict[str, Any], key: str, where: str, default: Any = 0) -> Any:
    """A whole number >= 0; `default` when absent or null."""
    value = number(d, key, where, None)
    if value is None:
        return default
    if not isinstance(value, int) or value < 0:
        raise ResultsFormatError(_where(where, key), f"expected a whole number >= 0, got {value}")
    return value


def flag(d: dict[str, Any], key: str, where: str, default: Any = False) -> Any:
    value = d.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ResultsFormatError(_where(where, key), f"expected true or false, got {_kind(value)}")
    return value


def choice(
    d: dict[str, Any], key: str, where: str, allowed: tuple[str, ...], required: bool
) -> Any:
    value = text(d, key, where, _MISSING if required else None)
    if value is not None and value not in allowed:
        raise ResultsFormatError(
            _where(where, key), f"{value[:40]!r} is not one of {', '.join(allowed)}"
        )
    return value


def _assertion(raw: Any, where: str) -> AssertionRecord:
    d = obj(raw, where)
    return AssertionRecord(
        type=text(d, "type", where, "assertion"),
        passed=_passed(d, where),
        value=d.get("value"),
        score=number(d, "score", where),
        reason=text(d, "reason", where, ""),
        weight=number(d, "weight", where, 1.0),
    )


def _passed(d: dict[str, Any], where: str) -> bool:
    value = d.get("passed")
    if not isinstance(value, bool):
        raise ResultsFormatError(
            _where(where, "passed"), f"expected true or false, got {_kind(value)}"
        )
    return value


def _base(raw: Any, where: str) -> BaseCase | None:
    if raw is None:
        return None
    d = obj(raw, where)
    return BaseCase(
        status=choice(d, "status", where, STATUSES, True),
        score=number(d, "score", where),
        output=text(d, "output", where, None),
        error=text(d, "error", where, None),
        cost=number(d, "cost", where),
        cached=flag(d, "cached", where),
    )


def case(raw: Any, where: str) -> CaseRecord:
    d = obj(raw, where)
    tokens = obj(d.get("tokens") or {}, _where(where, "tokens"))
    tw = _where(where, "tokens")
    vars_ = d.get("vars") or {}
    obj(vars_, _where(where, "vars"))
    return CaseRecord(
        id=text(d, "id", where),
        set=text(d, "set", where),
        status=choice(d, "status", where, STATUSES, True),
        line=count(d, "line", where),
        input=text(d, "input", where, ""),
        expected=text(d, "expected", where, None),
        vars=vars_,
        score=number(d, "score", where),
        threshold=number(d, "threshold", where),
        output=text(d, "output", where, None),
        error=text(d, "error", where, None),
        latency_ms=number(d, "latency_ms", where),
        tokens=Tokens(
            input=count(tokens, "input", tw, None),
            output=count(tokens, "output", tw, None),
            reasoning=count(tokens, "reasoning", tw, None),
            cached_input=count(tokens, "cached_input", tw, None),
        ),
        finish_reason=text(d, "finish_reason", where, None),
        refusal=text(d, "refusal", where, None),
        cached=flag(d, "cached", where),
        cost=number(d, "cost", where),
        runs=count(d, "runs", where),
        runs_passed=count(d, "runs_passed", where),
        assertions=[
            _assertion(a, f"{where}.assertions[{i}]")
            for i, a in enumerate(items(d, "assertions", where))
        ],
        tool_calls=[
            obj(t, f"{where}.tool_calls[{i}]") for i, t in enumerate(items(d, "tool_calls", where))
        ],
        base=_base(d.get("base"), _where(where, "base")),
        change=choice(d, "change", where, CHANGES, False),
    )


def set_record(raw: Any, where: str) -> SetRecord:
    d = obj(raw, where)
    return SetRecord(
        path=text(d, "path", where),
        threshold=number(d, "threshold", where),
        min_pass_rate=number(d, "min_pass_rate", where),
        error=text(d, "error", where, None),
    )


def agent(raw: Any, where: str) -> AgentResult:
    d = obj(raw, where)
    changed = d.get("changed")
    if changed is not None and not isinstance(changed, bool):
        raise ResultsFormatError(_where(where, "changed"), "expected true, false or null")
    price = d.get("price")
    return AgentResult(
        name=text(d, "name", where),
        provider=text(d, "provider", where, ""),
        model=text(d, "model", where, ""),
        changed=changed,
        skipped=text(d, "skipped", where, None),
        sets=[
            set_record(s, f"{where}.sets[{i}]")
            for i, s in enumerate(items(d, "sets", where, required=True))
        ],
        cases=[
            case(c, f"{where}.cases[{i}]")
            for i, c in enumerate(items(d, "cases", where, required=True))
        ],
        price=None if price is None else obj(price, _where(where, "price")),
    )


def _refusal(raw: Any, where: str) -> Refusal:
    d = obj(raw, where)
    return Refusal(
        reason=text(d, "reason", where, ""),
        provider=text(d, "provider", where, None),
        base_url=text(d, "base_url", where, None),
        api_key_env=text(d, "api_key_env", where, None),
        keyless=flag(d, "keyless", where),
    )


def run(raw: Any) -> RunResults:
    """The evidence of a whole document; derived fields stay at their defaults."""
    d = obj(raw, "")
    version = d.get("version")
    if version != VERSION:
        raise ResultsFormatError(
            "version", f"results format {str(version)[:20]}, this agentci reads version {VERSION}"
        )
    gate = obj(d.get("gate") if d.get("gate") is not None else {}, "gate")
    totals = obj(d.get("totals") if d.get("totals") is not None else {}, "totals")
    trust = obj(d.get("trust") or {}, "trust")
    base = d.get("base")
    bw = "base"
    return RunResults(
        version=VERSION,
        tool=text(d, "tool", "", ""),
        created_at=text(d, "created_at", "", ""),
        repo=text(d, "repo", "", ""),
        commit=text(d, "commit", "", None),
        base=None
        if base is None
        else BaseRef(
            ref=text(obj(base, bw), "ref", bw, None), commit=text(obj(base, bw), "commit", bw, None)
        ),
        shard=text(d, "shard", "", None),
        agents=[
            agent(a, f"agents[{i}]") for i, a in enumerate(items(d, "agents", "", required=True))
        ],
        # thresholds only: whether they passed is derived again
        gate=Verdict(
            min_pass_rate=number(gate, "min_pass_rate", "gate", 1.0),
            max_regressions=count(gate, "max_regressions", "gate", 0),
            max_cost=number(gate, "max_cost", "gate"),
            max_cost_increase=number(gate, "max_cost_increase", "gate"),
        ),
        # what the run measured that no case records: requests sent, answers cached, time
        totals=RunTotals(
            requests=count(totals, "requests", "totals"),
            cached=count(totals, "cached", "totals"),
            duration_s=float(number(totals, "duration_s", "totals", 0.0)),
        ),
        notes=[n for n in items(d, "notes", "") if isinstance(n, str)],
        trust=Trust(
            refused=[
                _refusal(r, f"trust.refused[{i}]")
                for i, r in enumerate(items(trust, "refused", "trust"))
            ],
            config_changes=[str(c) for c in items(trust, "config_changes", "trust")],
        ),
    )
