"""Quality gates: min_pass_rate, max_regressions (agentci.yaml, overridden by flags), per-set thresholds."""

from __future__ import annotations

from dataclasses import dataclass

from agentci.eval.records import AgentResult, RunCost, RunResults, Verdict

#: With nothing configured every case must pass and no case may regress (as promptfoo and pytest do).
DEFAULT_MIN_PASS_RATE = 1.0
DEFAULT_MAX_REGRESSIONS = 0


@dataclass(frozen=True)
class GateConfig:
    min_pass_rate: float = DEFAULT_MIN_PASS_RATE
    max_regressions: int = DEFAULT_MAX_REGRESSIONS
    max_cost: float | None = None  # USD per run; None: no cost gate
    max_cost_increase: float | None = None  # head vs base, fraction


def resolve(
    config_min: float | None,
    config_max: int | None,
    flag_min: float | None,
    flag_max: int | None,
    *,
    max_cost: float | None = None,
    max_cost_increase: float | None = None,
) -> GateConfig:
    return GateConfig(
        min_pass_rate=flag_min
        if flag_min is not None
        else config_min
        if config_min is not None
        else DEFAULT_MIN_PASS_RATE,
        max_regressions=flag_max
        if flag_max is not None
        else config_max
        if config_max is not None
        else DEFAULT_MAX_REGRESSIONS,
        max_cost=max_cost,
        max_cost_increase=max_cost_increase,
    )


def evaluate(run: RunResults, gate: GateConfig) -> Verdict:
    """The gate of a run: its verdict and one reason per failed gate.

    Computed from the case records alone, never read back from a file. `verdict` is pass,
    fail, or neutral: nothing that needed evaluating was evaluated (agents skipped for want
    of a key or a trusted endpoint, or 0 cases), which is not a pass."""
    totals = run.totals
    reasons: list[str] = []
    if totals.scored and (totals.pass_rate or 0.0) < gate.min_pass_rate - 1e-9:
        reasons.append(
            f"pass rate {totals.pass_rate or 0.0:.2f} < min {gate.min_pass_rate:.2f}"
            + (f" ({totals.errors} errors)" if totals.errors else "")
        )
    if totals.regressions > gate.max_regressions:
        reasons.append(f"{totals.regressions} regressions > max {gate.max_regressions}")
    reasons += _cost_reasons(totals.cost, gate)
    for agent in run.agents:
        for s in agent.sets:
            if not s.gate_passed:
                reasons.append(
                    f"{s.path}: pass rate {s.pass_rate or 0.0:.2f} < set threshold {s.min_pass_rate or 0.0:.2f}"
                )
    neutral = [] if reasons else unevaluated(run.agents, totals.scored, shard=bool(run.shard))
    return Verdict(
        verdict="fail" if reasons else "neutral" if neutral else "pass",
        reasons=reasons or neutral,
        min_pass_rate=gate.min_pass_rate,
        max_regressions=gate.max_regressions,
        max_cost=gate.max_cost,
        max_cost_increase=gate.max_cost_increase,
    )


def unevaluated(agents: list[AgentResult], scored: int, *, shard: bool = False) -> list[str]:
    """Why a run with no failures is still no pass: an agent that needed evaluating (changed
    since base, or no base) was skipped, or no case at all was scored (one shard of a split
    may hold none: its merge decides)."""
    needed = [a for a in agents if a.changed is not False]
    out = [f"{a.name}: not evaluated ({a.skipped})" for a in needed if a.skipped]
    if needed and not scored and not out and not shard:
        out.append("0 cases evaluated")
    return out


def _cost_reasons(run: RunCost, gate: GateConfig) -> list[str]:
    out = []
    head, increase = run.head, run.increase
    if gate.max_cost is not None and head is not None and head > gate.max_cost + 1e-12:
        out.append(f"cost {usd(head)} > max {usd(gate.max_cost)}")
    if (
        gate.max_cost_increase is not None
        and increase is not None
        and increase > gate.max_cost_increase + 1e-9
    ):
        out.append(
            f"cost +{increase:.0%} vs base > max +{gate.max_cost_increase:.0%}"
            f" ({usd(run.head_compared or 0)} vs {usd(run.base or 0)})"
        )
    return out


def usd(value: float) -> str:
    """Dollars with the digits that matter: eval runs often cost fractions of a cent."""
    return (
        f"${value:,.2f}" if value >= 100 else f"${value:.4f}" if value >= 0.01 else f"${value:.6f}"
    )
