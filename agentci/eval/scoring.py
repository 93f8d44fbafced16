"""Case scores: weighted assertion scores, the case threshold, and `repeat` with `min_pass`.

A case with a `threshold` passes when its weighted score reaches it; without one,
every assertion must pass. With `repeat: N`, the case passes when at least
`min_pass` of its N runs pass (default: all of them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from agentci.eval.assertions.base import AssertionResult, AssertionSpec, Context
from agentci.eval.cases import Case


@dataclass(frozen=True)
class RunScore:
    passed: bool
    score: float
    assertions: tuple[AssertionResult, ...] = ()


@dataclass
class CaseScore:
    passed: bool
    score: float
    runs: int
    runs_passed: int
    assertions: list[AssertionResult] = field(default_factory=list)


def _runner() -> Callable[[AssertionSpec, Context], AssertionResult]:
    try:
        from agentci.eval.assertions.registry import run_assertion
    except ImportError:  # the assertion registry is not in this build: text types only
        return _fallback
    return run_assertion


def score_run(case: Case, ctx: Context) -> RunScore:
    """Score one model answer. An assertion that cannot run raises (the case becomes an error)."""
    run = _runner()
    results = tuple(run(spec, ctx) for spec in case.asserts)
    weighted = [(r.weight, r.score) for r in results if r.weight > 0]
    total = sum(w for w, _ in weighted)
    score = sum(w * s for w, s in weighted) / total if total else 1.0
    if case.threshold is None:
        passed = all(r.passed for r in results if r.weight > 0)
    else:
        passed = score >= case.threshold - 1e-9
    return RunScore(passed, round(score, 4), results)


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


def _fallback(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    """The text assertions, used only when agentci.eval.assertions.registry is absent."""
    out, value = ctx.output, "" if spec.value is None else str(spec.value)
    checks: dict[str, Callable[[], bool]] = {
        "equals": lambda: out.strip() == value.strip(),
        "contains": lambda: value in out,
        "icontains": lambda: value.lower() in out.lower(),
        "not-contains": lambda: value not in out,
        "not-icontains": lambda: value.lower() not in out.lower(),
        "starts-with": lambda: out.startswith(value),
        "regex": lambda: re.search(value, out) is not None,
        "not-regex": lambda: re.search(value, out) is None,
    }
    check = checks.get(spec.type)
    if check is None:
        raise ValueError(f"assertion type {spec.type!r} is not available (agentci.eval.assertions.registry missing)")
    ok = check()
    verb = spec.type.replace("-", " ")
    reason = f"output {verb} {value!r}" if ok else f"expected output to {verb.replace('not ', 'not ')} {value!r}"
    return AssertionResult(spec.type, ok, 1.0 if ok else 0.0, reason, spec.weight)
