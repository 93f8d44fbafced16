"""The eval step: run the golden sets of the run's repo (against a base), write and print the
results, gate them. `agentci eval` is this step alone; `pr()` runs it after validation."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agentci.errors import EXIT_FAIL, EXIT_OK, UsageError
from agentci.flows.run import Run

if TYPE_CHECKING:
    from agentci.eval.records import RunResults


@dataclass
class EvalRequest:
    agents: list[str] = field(default_factory=list)
    base: str | None = None  # a ref: the merge base of it and HEAD is the comparison point
    changed_only: bool = False
    provider: str | None = None
    concurrency: int | None = None
    no_cache: bool = False
    shard: str | None = None  # "I/N"
    output: Path | None = None  # default: <repo>/.agentci/results.json
    junit: Path | None = None
    format: str = "text"  # text | json (stdout)
    min_pass_rate: float | None = None
    max_regressions: int | None = None
    deadline: float | None = None
    skip_missing_keys: bool = False
    #: work for a thread while the first answers are awaited (`Runner.while_waiting`)
    while_waiting: Callable[[], None] | None = None

    def check(self) -> None:
        """Bad values fail here, before minutes of model calls."""
        if self.concurrency is not None and self.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        if self.min_pass_rate is not None and not 0 <= self.min_pass_rate <= 1:
            raise UsageError(
                "--min-pass-rate must be between 0 and 1", hint="e.g. --min-pass-rate 0.8"
            )
        if self.max_regressions is not None and self.max_regressions < 0:
            raise UsageError("--max-regressions must be 0 or more")
        if self.deadline is not None and not self.deadline > 0:
            raise UsageError("--deadline must be more than 0 seconds", hint="e.g. --deadline 600")
        for flag, value in (("--output", self.output), ("--junit", self.junit)):
            if value:
                _check_writable(flag, Path(value))

    def describe(self, root: Path) -> str:
        """The request as the equivalent `agentci eval` flags (for the log)."""
        words = [str(root), "--output", str(self.output)]
        if self.base:
            words += ["--base", self.base] + (["--changed-only"] if self.changed_only else [])
        if self.skip_missing_keys:
            words.append("--skip-missing-keys")
        for flag, value in (
            ("--provider", self.provider),
            ("--concurrency", self.concurrency),
            ("--min-pass-rate", self.min_pass_rate),
            ("--max-regressions", self.max_regressions),
        ):
            if value is not None and value != "":
                words += [flag, str(value)]
        return " ".join(words)


@dataclass
class Evaluation:
    results: RunResults  # redacted: every output is built from this
    output: Path  # where the results JSON was written

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.results.gate.passed else EXIT_FAIL


def evaluate(run: Run, req: EvalRequest) -> Evaluation:
    """Evaluate, write the results JSON (and JUnit), print them, collect the Action outputs, and
    say on stderr why a gate did not pass."""
    from agentci import heap
    from agentci.github.event import refuse_untrusted_code_with_secrets

    req.check()
    refuse_untrusted_code_with_secrets(run.event, run.root, req.provider)
    heap.hold()  # until the run starts (Runner.run settles it): see agentci.heap
    try:
        evaluated = _evaluate(run, req)
    finally:
        heap.settle()
    return evaluated


def _evaluate(run: Run, req: EvalRequest) -> Evaluation:
    from agentci.eval import shard
    from agentci.eval.engine import EvalOptions
    from agentci.eval.engine import evaluate as run_evals

    opts = EvalOptions(
        root=run.root,
        agents=req.agents,
        base=req.base,
        provider=req.provider,
        concurrency=req.concurrency,
        no_cache=req.no_cache,
        shard=shard.parse(req.shard) if req.shard else None,
        min_pass_rate=req.min_pass_rate,
        max_regressions=req.max_regressions,
        changed_only=req.changed_only,
        skip_missing_keys=req.skip_missing_keys,
        progress=req.format == "text",
        head_trusted=run.event is None or not run.event.head_untrusted,
        deadline=req.deadline,
        repo=run.repo if run.root.is_dir() else None,
        open_base=lambda _root, ref: run.base(ref),
        while_waiting=_while_waiting(req),
    )
    evaluated = run_evals(opts)
    from agentci.eval import results

    # Redacted before any formatting: every output below is built from this.
    data, text = results.redacted_text(evaluated)
    output = req.output or Path(data.repo) / ".agentci" / "results.json"
    results.write(output, data, text)
    if req.junit:
        from agentci.report import junit

        junit.write(req.junit, data)
    if req.format == "json":
        sys.stdout.write(results.dumps(data, pretty=True) if sys.stdout.isatty() else text)
    else:
        from agentci.github import gha
        from agentci.report.text import eval_report

        gha.print_untrusted(eval_report(data, output))
    rate, gate = data.totals.pass_rate, data.gate
    run.outputs.set(
        {
            "pass-rate": "" if rate is None else f"{rate:.4f}",
            "regressions": data.totals.regressions,
            "verdict": gate.verdict,
        }
    )
    if not gate.passed:
        word = "neutral (not a pass)" if gate.verdict == "neutral" else "failed"
        print(f"agentci: gate {word}: {'; '.join(gate.reasons)}", file=sys.stderr)
    return Evaluation(data, output)


def _while_waiting(req: EvalRequest) -> Callable[[], None]:
    """The wait for the first answers, used: the report this step prints is imported, then
    the caller's own work is done (`EvalRequest.while_waiting`)."""

    def work() -> None:
        if req.format == "text":
            import agentci.report.text  # noqa: F401
        if req.while_waiting is not None:
            req.while_waiting()

    return work


def _check_writable(flag: str, path: Path) -> None:
    if path.is_dir():
        raise UsageError(
            f"{flag} {path}: is a directory",
            hint=f"pass a file path, e.g. {flag} {path / ('junit.xml' if flag == '--junit' else 'results.json')}",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"{flag} {path}: cannot create {path.parent}: {exc.strerror or exc}"
        ) from None
