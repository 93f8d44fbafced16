"""Case scores: weighted assertion scores, the case threshold, and `repeat` with `min_pass`.

A case with a `threshold` passes when its weighted score reaches it; without one,
every assertion must pass. With `repeat: N`, the case passes when at least
`min_pass` of its N runs pass (default: all of them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agentci.eval.assertions.base import AssertionResult, Context
from agentci.eval.cases import Case


@dataclass(frozen=True)
class RunScore:
    passed: bool
    score: float
    assertions: tuple[AssertionResult, ...] = ()
    error: str | None = None


@dataclass
class CaseScore:
    passed: bool
    score: float
    runs: int
    runs_passed: int
    assertions: list[AssertionResult] = field(default_factory=list)


def score_run(case: Case, ctx: Context) -> RunScore:
    """Score one model answer. An assertion that cannot run (a judge that fails, a bad
    schema) sets `error` and the case becomes an error, but every other assertion's
    result is still recorded, so the report shows what did pass and fail."""
    from agentci.eval.assertions.registry import run_assertion

    results_: list[AssertionResult] = []
    error = None
    for spec in case.asserts:
        try:
            results_.append(run_assertion(spec, ctx))
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}".splitlines()[0]
            error = error or f"an assertion could not run: {why}"
            results_.append(
                AssertionResult(spec.type, False, 0.0, f"could not run: {why}", spec.weight)
            )
    results = tuple(results_)
    weighted = [(r.weight, r.score) for r in results if r.weight > 0]
    total = sum(w for w, _ in weighted)
    score = sum(w * s for w, s in weighted) / total if total else 1.0
    if case.threshold is None:
        passed = all(r.passed for r in results if r.weight > 0)
    else:
        passed = score >= case.threshold - 1e-9
    return RunScore(passed and error is None, round(score, 4), results, error)


def combine(case: Case, runs: list[RunScore]) -> CaseScore:
    ok = sum(1 for r in runs if r.passed)
    mean = sum(r.score for r in runs) / len(runs) if runs else 0.0
    # Show the assertions of the first failing run: that is the one a person needs to read.
    shown = next((r for r in runs if not r.passed), runs[0] if runs else None)
    return CaseScore(
        passed=bool(runs) and ok >= case.min_pass,
        score=round(mean, 4),
        runs=len(runs),
        runs_passed=ok,
        assertions=list(shown.assertions) if shown else [],
    )
