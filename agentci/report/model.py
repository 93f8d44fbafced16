"""The report's view model: what the templates see, built from a run's typed results
(`agentci.eval.records`, checked on load) and validation findings (read defensively: a
missing or mistyped field shows as unknown, never a crash)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentci.errors import AgentciError
from agentci.eval.gates import usd
from agentci.eval.records import AgentResult, CaseRecord, Refusal, RunCost, RunResults, RunTotals

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
    totals: RunTotals | None
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
        return self.totals.pass_rate if self.totals else None

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
    results: RunResults | None,
    findings: list[dict[str, Any]] | None = None,
    *,
    run_url: str | None = None,
    marker: str = "agentci",
    max_output: int = 600,
) -> Report:
    """The view of a run (already checked and re-gated: `agentci.eval.results.load`) and the
    validation findings; `results` None: the eval wrote nothing."""
    run = results or RunResults(repo="")
    agents = [_agent(a) for a in run.agents]
    gate = run.gate if results is not None else None
    return Report(
        agents=agents,
        totals=run.totals if results is not None else None,
        gate_passed=gate.passed if gate else None,
        gate_reasons=list(gate.reasons) if gate else [],
        findings=[_finding(f) for f in findings or [] if isinstance(f, dict)],
        commit=run.commit,
        base=_short((run.base.ref or run.base.commit) if run.base else None),
        run_url=run_url,
        marker=marker,
        max_output=max_output,
        gate_verdict=gate.verdict if gate else None,
        refused=[_refused(r) for r in run.trust.refused],
        config_changes=list(run.trust.config_changes),
        notes=[*run.notes, *(_answer_notes(a) for a in agents if a.truncated or a.refused)],
        cost_lines=_cost_lines(run.totals.cost, agents) if results is not None else [],
    )


def _refused(r: Refusal) -> str:
    how = "called without a key" if r.keyless else "not evaluated"
    return f"{how}: {r.reason}"


def _vs(head: float | None, base: float | None) -> str:
    if base is None or head is None:
        return ""
    change = f", {(head - base) / base:+.0%}" if base > 0 else ""
    return f" (base {usd(base)}{change})"


def _cost_lines(run: RunCost, agents: list[AgentView]) -> list[str]:
    if run.head is None:
        return []
    lines = [f"this run {usd(run.head)}" + _vs(run.head_compared, run.base)]
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


def _agent(data: AgentResult) -> AgentView:
    t = data.totals
    view = AgentView(
        name=data.name or "?",
        provider=data.provider,
        model=data.model,
        changed=data.changed is not False,
        skipped=data.skipped or None,
        pass_rate=data.pass_rate,
        base_pass_rate=data.base_pass_rate,
        cases=t.cases,
        passed=t.passed,
        failed=t.failed,
        errors=t.errors,
        truncated=t.truncated,
        refused=t.refused,
        cost=data.cost.head,
        base_cost=data.cost.base,
        cost_compared=data.cost.head_compared,
        unpriced=data.cost.unpriced,
    )
    for raw in data.cases:
        case = _case(view.name, raw)
        if case.change == "regression":
            view.regressions.append(case)
        elif case.change == "fix":
            view.fixes.append(case)
        elif case.status in FAILING and case.change == "same":
            view.still_failing.append(case)
        elif case.status in FAILING:
            view.new_failures.append(case)
    return view


def _case(agent: str, c: CaseRecord) -> CaseView:
    return CaseView(
        agent=agent,
        id=c.id or "?",
        set=c.set,
        line=c.line,
        status=c.status,
        change=c.change,
        input=c.input,
        expected=c.expected,
        output=c.output or "",
        reason=reason(c),
        score=c.score,
        threshold=c.threshold,
        base_status=c.base.status if c.base else None,
        cached=c.cached,
    )


def reason(case: CaseRecord) -> str:
    """Why the case failed: the provider error, else the failing assertions' reasons."""
    if case.error:
        return case.error
    if case.refusal:
        return f"the model refused: {case.refusal}"
    cut = "answer cut at max_tokens; " if case.finish_reason == "length" else ""
    return cut + "; ".join(case.failed_reasons)


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


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
