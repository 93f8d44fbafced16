"""The typed results model (SPEC §3): one run, its agents, eval sets, cases, totals and verdict.

`agentci.eval.results.to_json()` / `from_json()` are the one way in and out of the results
file (format `VERSION`); `from_json` reads only the evidence (`agentci.eval.evidence`) and
derives every count, rate and verdict again from the cases, so a `"passed": true` typed into
a file means nothing (issue #9).

Dataclasses rather than pydantic: a process that imports pydantic and defines four small
models took 0.39-0.43 s against 0.02-0.03 s for bare Python (measured on the shared 2-core
box), on every `agentci eval` whose unchanged re-run budget is 0.5 s; pydantic is no direct
dependency; and `agentci.eval.evidence` names the file's bad JSON path itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The results file format this agentci writes and reads.
VERSION = 1
STATUSES = ("pass", "fail", "error", "skipped")
CHANGES = ("regression", "fix", "new", "same")


class _Flat:
    """A record whose JSON is its fields, in order (no nested records)."""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ResultsFormatError(ValueError):
    """A results file that does not have the shape of version `VERSION`: `where` is the JSON
    path of the first bad value (e.g. `agents[0].cases[3].latency_ms`)."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}" if where else what)
        self.where = where
        self.what = what


@dataclass
class Tokens(_Flat):
    input: int | None = None
    output: int | None = None
    reasoning: int | None = None
    cached_input: int | None = None


@dataclass
class AssertionRecord(_Flat):
    type: str
    passed: bool
    value: Any = None
    score: float | None = None
    reason: str = ""
    weight: float | None = 1.0


@dataclass
class BaseCase(_Flat):
    """The same case's answer at the base ref."""

    status: str
    score: float | None = None
    output: str | None = None
    error: str | None = None
    cost: float | None = None
    cached: bool = False


@dataclass
class CaseRecord:
    id: str
    set: str
    status: str  # pass | fail | error | skipped
    line: int = 0
    input: str = ""
    expected: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    threshold: float | None = None
    output: str | None = None
    error: str | None = None
    latency_ms: float | None = None
    tokens: Tokens = field(default_factory=Tokens)
    #: `length`: the answer was cut at max_tokens and scored as cut (the report says so)
    finish_reason: str | None = None
    refusal: str | None = None
    cached: bool = False
    cost: float | None = None  # USD; 0 when cached; None when the model has no price
    runs: int = 0
    runs_passed: int = 0
    assertions: list[AssertionRecord] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    base: BaseCase | None = None
    change: str | None = None  # regression | fix | new | same | None (not comparable)

    @property
    def failing(self) -> bool:
        return self.status in ("fail", "error")

    @property
    def failed_reasons(self) -> list[str]:
        return [a.reason or f"{a.type} failed" for a in self.assertions if not a.passed]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "set": self.set,
            "line": self.line,
            "input": self.input,
            "expected": self.expected,
            "vars": self.vars,
            "status": self.status,
            "score": self.score,
            "threshold": self.threshold,
            "output": self.output,
            "error": self.error,
            "latency_ms": self.latency_ms,
            "tokens": self.tokens.to_json(),
            "finish_reason": self.finish_reason,
            "refusal": self.refusal,
            "cached": self.cached,
            "cost": self.cost,
            "runs": self.runs,
            "runs_passed": self.runs_passed,
            "assertions": [a.to_json() for a in self.assertions],
            "tool_calls": self.tool_calls,
            "base": self.base.to_json() if self.base else None,
            "change": self.change,
        }


@dataclass
class SetRecord(_Flat):
    path: str
    threshold: float | None = None
    min_pass_rate: float | None = None  # the set's own gate
    error: str | None = None
    # derived from the cases
    cases: int = 0
    passed: int = 0
    pass_rate: float | None = None
    gate_passed: bool = True


@dataclass
class AgentTotals(_Flat):
    cases: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    regressions: int = 0
    fixes: int = 0
    new: int = 0
    truncated: int = 0
    refused: int = 0


@dataclass
class AgentCost(_Flat):
    head: float | None = None
    base: float | None = None
    head_compared: float | None = None  # head cost of the cases that ran on base too
    unpriced: int = 0


@dataclass
class AgentResult:
    name: str
    provider: str = ""
    model: str = ""
    changed: bool | None = None  # None: no base to compare with
    skipped: str | None = None  # why the agent was not evaluated
    sets: list[SetRecord] = field(default_factory=list)
    cases: list[CaseRecord] = field(default_factory=list)
    price: dict[str, Any] | None = None
    # derived from the cases
    totals: AgentTotals = field(default_factory=AgentTotals)
    cost: AgentCost = field(default_factory=AgentCost)
    pass_rate: float | None = None
    base_pass_rate: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": self.provider,
            "model": self.model,
            "changed": self.changed,
            "skipped": self.skipped,
            "sets": [s.to_json() for s in self.sets],
            "cases": [c.to_json() for c in self.cases],
            "price": self.price,
            "totals": self.totals.to_json(),
            "cost": self.cost.to_json(),
            "pass_rate": self.pass_rate,
            "base_pass_rate": self.base_pass_rate,
        }


@dataclass
class RunCost(_Flat):
    head: float | None = None
    base: float | None = None
    head_compared: float | None = None
    increase: float | None = None  # head_compared vs base, fraction


@dataclass
class RunTotals:
    agents: int = 0
    cases: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    regressions: int = 0
    fixes: int = 0
    new: int = 0
    pass_rate: float | None = None
    requests: int = 0  # attempts sent to providers, retries included
    cached: int = 0  # answers served from the cache
    duration_s: float = 0.0
    cost: RunCost = field(default_factory=RunCost)

    @property
    def scored(self) -> int:
        return self.passed + self.failed + self.errors

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "cost": self.cost.to_json()}


@dataclass
class Verdict:
    """The gate block: derived from the cases with trusted thresholds, never read from a file.
    `verdict` is pass, fail, or neutral (nothing that needed evaluating was evaluated)."""

    verdict: str = "neutral"
    reasons: list[str] = field(default_factory=list)
    min_pass_rate: float = 1.0
    max_regressions: int = 0
    max_cost: float | None = None
    max_cost_increase: float | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "passed": self.passed,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "min_pass_rate": self.min_pass_rate,
            "max_regressions": self.max_regressions,
        }
        if self.max_cost is not None:
            out["max_cost"] = self.max_cost
        if self.max_cost_increase is not None:
            out["max_cost_increase"] = self.max_cost_increase
        return out


@dataclass
class Refusal(_Flat):
    """An endpoint the run refused to send a key to (or called without one)."""

    reason: str
    provider: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    keyless: bool = False


@dataclass
class Trust:
    refused: list[Refusal] = field(default_factory=list)
    #: watched agentci.yaml settings the head changes (shown, not applied)
    config_changes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "refused": [r.to_json() for r in self.refused],
            "config_changes": list(self.config_changes),
        }


@dataclass
class BaseRef(_Flat):
    ref: str | None = None
    commit: str | None = None


@dataclass
class RunResults:
    repo: str
    agents: list[AgentResult] = field(default_factory=list)
    commit: str | None = None
    base: BaseRef | None = None
    shard: str | None = None  # "i/n"
    gate: Verdict = field(default_factory=Verdict)
    totals: RunTotals = field(default_factory=RunTotals)
    #: what providers changed on their own (an adapted parameter)
    notes: list[str] = field(default_factory=list)
    trust: Trust = field(default_factory=Trust)
    tool: str = ""
    created_at: str = ""
    version: int = VERSION

    def cases(self) -> list[tuple[AgentResult, CaseRecord]]:
        return [(a, c) for a in self.agents for c in a.cases]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "tool": self.tool,
            "created_at": self.created_at,
            "repo": self.repo,
            "commit": self.commit,
            "base": self.base.to_json() if self.base else None,
            "shard": self.shard,
            "gate": self.gate.to_json(),
            "totals": self.totals.to_json(),
            "agents": [a.to_json() for a in self.agents],
            "notes": list(self.notes),
            "trust": self.trust.to_json(),
        }
