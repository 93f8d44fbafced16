"""The report's view model: what the templates see, built from results JSON and findings.

Results files come from disk (possibly from another version, or hand-edited), so every
field is read defensively: a missing or mistyped field shows as unknown, never a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentci.errors import AgentciError
from agentci.eval.gates import usd

FAILING = ("fail", "error")


@dataclass
class CaseView:
    agent: str
    id: str
    set: str
    line: int
    status: str
    change: str | None
    input: str
    expected: str | None
    output: str
    reason: str
    score: float | None
    threshold: float | None
    base_status: str | None
    cached: bool


@dataclass
class AgentView:
    name: str
    provider: str
    model: str
    changed: bool
    skipped: str | None
    pass_rate: float | None
    base_pass_rate: float | None
    cases: int
    passed: int
    failed: int
    errors: int
    truncated: int = 0
    refused: int = 0
    cost: float | None = None
    base_cost: float | None = None
    cost_compared: float | None = None  # head cost of the cases that ran on base too
    unpriced: int = 0
    regressions: list[CaseView] = field(default_factory=list)
    new_failures: list[CaseView] = field(default_factory=list)
    still_failing: list[CaseView] = field(default_factory=list)
    fixes: list[CaseView] = field(default_factory=list)

    @property
    def delta(self) -> float | None:
        if self.pass_rate is None or self.base_pass_rate is None:
            return None
        return self.pass_rate - self.base_pass_rate

    @property
    def arrow(self) -> str:
        d = self.delta
        if d is None:
            return ""
        return "🔺" if d > 1e-9 else "🔻" if d < -1e-9 else "➖"


@dataclass
class FindingView:
    severity: str
    path: str
    line: int
    rule: str
    message: str
    hint: str


@dataclass
class Report:
    agents: list[AgentView]
    totals: dict[str, Any]
    gate_passed: bool | None
    gate_reasons: list[str]
    findings: list[FindingView]
    commit: str | None
    base: str | None
    run_url: str | None
    marker: str
    max_output: int
    notes: list[str] = field(default_factory=list)
    #: "this run $0.0123 (base $0.0100, +23%)" and one line per priced agent; empty when nothing is priced
    cost_lines: list[str] = field(default_factory=list)
    #: the eval died before writing results: nothing was measured, so never "pass"
    incomplete: bool = False
    #: the gate's own word: pass | fail | neutral (nothing that needed evaluating was evaluated)
    gate_verdict: str | None = None
    #: endpoints the run refused to send a key to, and watched agentci.yaml settings the head changes
    refused: list[str] = field(default_factory=list)
    config_changes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """pass | fail | neutral | error: the one word the status, the outputs and the gate share."""
        if self.incomplete:
            return "error"
        if any(f.severity == "error" for f in self.findings):
            return "fail"
        if self.gate_verdict == "neutral":
            return "neutral"
        if self.gate_passed is False:
            return "fail"
        return "pass"

    @property
    def regressions(self) -> int:
        return sum(len(a.regressions) for a in self.agents)

    @property
    def pass_rate(self) -> float | None:
        rate = self.totals.get("pass_rate")
        return float(rate) if isinstance(rate, (int, float)) else None

    @property
    def chart_agents(self) -> list[AgentView]:
        """Agents for the pass-rate chart: only drawn when more than one agent changed."""
        changed = [a for a in self.agents if a.changed and a.pass_rate is not None]
        return changed if len(changed) > 1 else []


def load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        hint = (
            "write it with `agentci validate --format json > PATH`"
            if "findings" in what
            else "run `agentci eval` first, or pass --results PATH"
        )
        raise AgentciError(f"{path}: {what} not found", hint=hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentciError(f"{path}: cannot read {what}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise AgentciError(
            f"{path}:{exc.lineno}: {what} is not valid JSON: {exc.msg}",
            hint="regenerate it with `agentci eval --output PATH`",
        ) from None


def build(
    results: dict[str, Any] | None,
    findings: list[dict[str, Any]] | None = None,
    *,
    run_url: str | None = None,
    marker: str = "agentci",
    max_output: int = 600,
) -> Report:
    results = results if isinstance(results, dict) else {}
    gate = _dict(results.get("gate"))
    base = _dict(results.get("base"))
    agents = [_agent(a) for a in _list(results.get("agents")) if isinstance(a, dict)]
    passed = gate.get("passed")
    trust = _dict(results.get("trust"))
    return Report(
        agents=agents,
        totals=_dict(results.get("totals")),
        gate_passed=passed if isinstance(passed, bool) else None,
        gate_reasons=[str(r) for r in _list(gate.get("reasons"))],
        findings=[_finding(f) for f in findings or [] if isinstance(f, dict)],
        commit=_opt_str(results.get("commit")),
        base=_short(_opt_str(base.get("ref")) or _opt_str(base.get("commit"))),
        run_url=run_url,
        marker=marker,
        max_output=max_output,
        gate_verdict=_opt_str(gate.get("verdict")),
        refused=[_refused(r) for r in _list(trust.get("refused")) if isinstance(r, dict)],
        config_changes=[str(c) for c in _list(trust.get("config_changes"))],
        notes=[
            *(str(n) for n in _list(results.get("notes")) if isinstance(n, str)),
            *(_answer_notes(a) for a in agents if a.truncated or a.refused),
        ],
        cost_lines=_cost_lines(_dict(_dict(results.get("totals")).get("cost")), agents),
    )


def _refused(r: dict[str, Any]) -> str:
    how = "called without a key" if r.get("keyless") else "not evaluated"
    return f"{how}: {r.get('reason')}"


def _vs(head: float | None, base: float | None) -> str:
    if base is None or head is None:
        return ""
    change = f", {(head - base) / base:+.0%}" if base > 0 else ""
    return f" (base {usd(base)}{change})"


def _cost_lines(run: dict[str, Any], agents: list[AgentView]) -> list[str]:
    head = _rate(run.get("head"))
    if head is None:
        return []
    lines = [f"this run {usd(head)}" + _vs(_rate(run.get("head_compared")), _rate(run.get("base")))]
    for a in agents:
        if a.cost is not None:
            lines.append(
                f"{a.name}: {usd(a.cost)}"
                + _vs(a.cost_compared, a.base_cost)
                + (f"; {a.unpriced} answer(s) without a price" if a.unpriced else "")
            )
        elif a.unpriced:
            lines.append(
                f"{a.name}: no price for {a.provider}:{a.model} (add it under eval.prices in agentci.yaml)"
            )
    return lines


def _answer_notes(agent: AgentView) -> str:
    parts = []
    if agent.truncated:
        parts.append(
            f"{agent.truncated} answer(s) cut at max_tokens and scored as cut (raise model.max_tokens)"
        )
    if agent.refused:
        parts.append(f"{agent.refused} answer(s) refused by the model")
    return f"{agent.name}: " + "; ".join(parts) + "."


def _agent(data: dict[str, Any]) -> AgentView:
    name = str(data.get("name") or "?")
    totals = _dict(data.get("totals"))
    view = AgentView(
        name=name,
        provider=str(data.get("provider") or ""),
        model=str(data.get("model") or ""),
        changed=data.get("changed") is not False,
        skipped=_opt_str(data.get("skipped")),
        pass_rate=_rate(data.get("pass_rate")),
        base_pass_rate=_rate(data.get("base_pass_rate")),
        cases=_int(totals.get("cases")),
        passed=_int(totals.get("passed")),
        failed=_int(totals.get("failed")),
        errors=_int(totals.get("errors")),
        truncated=_int(totals.get("truncated")),
        refused=_int(totals.get("refused")),
        cost=_rate(_dict(data.get("cost")).get("head")),
        base_cost=_rate(_dict(data.get("cost")).get("base")),
        cost_compared=_rate(_dict(data.get("cost")).get("head_compared")),
        unpriced=_int(_dict(data.get("cost")).get("unpriced")),
    )
    for raw in _list(data.get("cases")):
        if not isinstance(raw, dict):
            continue
        case = _case(name, raw)
        if case.change == "regression":
            view.regressions.append(case)
        elif case.change == "fix":
            view.fixes.append(case)
        elif case.status in FAILING and case.change == "same":
            view.still_failing.append(case)
        elif case.status in FAILING:
            view.new_failures.append(case)
    return view


def _case(agent: str, data: dict[str, Any]) -> CaseView:
    base = _dict(data.get("base"))
    return CaseView(
        agent=agent,
        id=str(data.get("id") or "?"),
        set=str(data.get("set") or ""),
        line=_int(data.get("line")),
        status=str(data.get("status") or "unknown"),
        change=_opt_str(data.get("change")),
        input=_text(data.get("input")),
        expected=None if data.get("expected") is None else _text(data.get("expected")),
        output=_text(data.get("output")),
        reason=_reason(data),
        score=_rate(data.get("score")),
        threshold=_rate(data.get("threshold")),
        base_status=_opt_str(base.get("status")),
        cached=data.get("cached") is True,
    )


def _reason(case: dict[str, Any]) -> str:
    """Why the case failed: the provider error, else the failing assertions' reasons."""
    if case.get("error"):
        return str(case["error"])
    if isinstance(case.get("refusal"), str) and case["refusal"]:
        return f"the model refused: {case['refusal']}"
    cut = "answer cut at max_tokens; " if case.get("finish_reason") == "length" else ""
    reasons = [
        str(a.get("reason") or f"{a.get('type', 'assertion')} failed")
        for a in _list(case.get("assertions"))
        if isinstance(a, dict) and a.get("passed") is False
    ]
    return cut + "; ".join(reasons)


def _finding(data: dict[str, Any]) -> FindingView:
    return FindingView(
        severity=str(data.get("severity") or "error"),
        path=str(data.get("path") or ""),
        line=_int(data.get("line")),
        rule=str(data.get("rule") or ""),
        message=str(data.get("message") or ""),
        hint=str(data.get("hint") or ""),
    )


def _short(ref: str | None) -> str | None:
    """A full commit sha reads better as its first 12 characters; branch names stay."""
    if ref and len(ref) == 40 and all(c in "0123456789abcdef" for c in ref):
        return ref[:12]
    return ref


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _rate(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
