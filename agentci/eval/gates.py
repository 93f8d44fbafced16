"""Quality gates: min_pass_rate, max_regressions (agentci.yaml, overridden by flags), per-set thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: With nothing configured every case must pass and no case may regress (as promptfoo and pytest do).
DEFAULT_MIN_PASS_RATE = 1.0
DEFAULT_MAX_REGRESSIONS = 0


@dataclass(frozen=True)
class GateConfig:
    min_pass_rate: float = DEFAULT_MIN_PASS_RATE
    max_regressions: int = DEFAULT_MAX_REGRESSIONS


def resolve(config_min: float | None, config_max: int | None, flag_min: float | None, flag_max: int | None) -> GateConfig:
    return GateConfig(
        min_pass_rate=flag_min if flag_min is not None else config_min if config_min is not None else DEFAULT_MIN_PASS_RATE,
        max_regressions=flag_max if flag_max is not None else config_max if config_max is not None else DEFAULT_MAX_REGRESSIONS,
    )


def evaluate(results: dict[str, Any], gate: GateConfig) -> dict[str, Any]:
    """The `gate` block of the results JSON: passed, verdict, and one reason per failed gate.

    Computed from the case entries alone, never read back from a file. `verdict` is pass,
    fail, or neutral: nothing that needed evaluating was evaluated (agents skipped for want
    of a key or a trusted endpoint, or 0 cases), which is not a pass."""
    totals = results["totals"]
    reasons: list[str] = []
    scored = totals["passed"] + totals["failed"] + totals["errors"]
    if scored and totals["pass_rate"] < gate.min_pass_rate - 1e-9:
        reasons.append(f"pass rate {totals['pass_rate']:.2f} < min {gate.min_pass_rate:.2f}"
                       + (f" ({totals['errors']} errors)" if totals["errors"] else ""))
    if totals["regressions"] > gate.max_regressions:
        reasons.append(f"{totals['regressions']} regressions > max {gate.max_regressions}")
    for agent in results["agents"]:
        for s in agent.get("sets", []):
            if not s.get("gate_passed", True):
                reasons.append(f"{s['path']}: pass rate {s['pass_rate']:.2f} < set threshold {s['min_pass_rate']:.2f}")
    neutral = [] if reasons else unevaluated(results["agents"], scored, shard=bool(results.get("shard")))
    verdict = "fail" if reasons else "neutral" if neutral else "pass"
    return {"passed": verdict == "pass", "verdict": verdict, "reasons": reasons or neutral,
            "min_pass_rate": gate.min_pass_rate, "max_regressions": gate.max_regressions}


def unevaluated(agents: list[dict[str, Any]], scored: int, *, shard: bool = False) -> list[str]:
    """Why a run with no failures is still no pass: an agent that needed evaluating (changed
    since base, or no base) was skipped, or no case at all was scored (one shard of a split
    may hold none: its merge decides)."""
    needed = [a for a in agents if a.get("changed") is not False]
    out = [f"{a.get('name')}: not evaluated ({a['skipped']})" for a in needed if a.get("skipped")]
    if needed and not scored and not out and not shard:
        out.append("0 cases evaluated")
    return out
