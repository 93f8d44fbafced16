"""Run the golden eval sets of every agent (or --agent NAME), compare with --base REF, gate the result.

Exit 0 when the gate passes, 1 when it fails (with a one-line reason), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentci.errors import EXIT_FAIL, EXIT_OK, UsageError

if TYPE_CHECKING:
    from agentci.eval.records import RunResults


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        help="repository root (default: .), or one GitHub Models *.prompt.yml file",
    )
    parser.add_argument(
        "--agent", action="append", default=[], metavar="NAME", help="only this agent (repeatable)"
    )
    parser.add_argument(
        "--base", metavar="REF", help="also evaluate changed agents at REF (merge base with HEAD)"
    )
    parser.add_argument(
        "--changed-only",
        action="store_true",
        help="with --base: skip agents whose files did not change",
    )
    parser.add_argument(
        "--provider",
        metavar="NAME",
        help="run every agent (and the judge) on this provider, e.g. local",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="requests in flight (default: agentci.yaml, else 8)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write the answer cache"
    )
    parser.add_argument(
        "--shard", metavar="I/N", help="run only shard I of N (deterministic split by case)"
    )
    parser.add_argument(
        "--output", metavar="PATH", help="results JSON (default: <repo>/.agentci/results.json)"
    )
    parser.add_argument("--junit", metavar="PATH", help="also write JUnit XML here")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="stdout format")
    parser.add_argument(
        "--min-pass-rate", type=float, metavar="X", help="gate: overrides eval.gate.min_pass_rate"
    )
    parser.add_argument(
        "--max-regressions", type=int, metavar="N", help="gate: overrides eval.gate.max_regressions"
    )
    parser.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="stop sending requests after this long; cases not done by then are errors",
    )
    parser.add_argument(
        "--skip-missing-keys",
        action="store_true",
        help="record agents whose provider key is missing as skipped (fork PRs) instead of failing",
    )


def run(args: argparse.Namespace) -> int:
    from agentci.eval import results, shard
    from agentci.eval.engine import EvalOptions, evaluate
    from agentci.github.event import load_event, refuse_untrusted_code_with_secrets
    from agentci.report import junit

    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.min_pass_rate is not None and not 0 <= args.min_pass_rate <= 1:
        raise UsageError("--min-pass-rate must be between 0 and 1", hint="e.g. --min-pass-rate 0.8")
    if args.max_regressions is not None and args.max_regressions < 0:
        raise UsageError("--max-regressions must be 0 or more")
    if args.deadline is not None and not args.deadline > 0:
        raise UsageError("--deadline must be more than 0 seconds", hint="e.g. --deadline 600")
    for flag, value in (("--output", args.output), ("--junit", args.junit)):
        if value:
            _check_writable(flag, Path(value))  # before minutes of model calls, not after
    event = load_event()
    refuse_untrusted_code_with_secrets(event, Path(args.path), args.provider)
    opts = EvalOptions(
        root=Path(args.path),
        agents=args.agent,
        base=args.base,
        provider=args.provider,
        concurrency=args.concurrency,
        no_cache=args.no_cache,
        shard=shard.parse(args.shard) if args.shard else None,
        min_pass_rate=args.min_pass_rate,
        max_regressions=args.max_regressions,
        changed_only=args.changed_only,
        skip_missing_keys=args.skip_missing_keys,
        progress=args.format == "text",
        head_trusted=event is None or not event.head_untrusted,
        deadline=args.deadline,
    )
    # Redacted before any formatting: every output below is built from this.
    run = results.redacted(evaluate(opts))
    output = Path(args.output) if args.output else Path(run.repo) / ".agentci" / "results.json"
    text = results.dumps(run)
    results.write(output, run, text)
    if args.junit:
        junit.write(Path(args.junit), run)
    if args.format == "json":
        sys.stdout.write(results.dumps(run, pretty=True) if sys.stdout.isatty() else text)
    else:
        _print_text(run, output)
    _set_outputs(run)
    if run.gate.passed:
        return EXIT_OK
    word = "neutral (not a pass)" if run.gate.verdict == "neutral" else "failed"
    print(f"agentci: gate {word}: {'; '.join(run.gate.reasons)}", file=sys.stderr)
    return EXIT_FAIL


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


def _set_outputs(run: RunResults) -> None:
    """The action's outputs for `command: eval` (`agentci ci` and `report --post` write them
    again after the report; the last value of a name wins)."""
    from agentci.github import gha

    rate = run.totals.pass_rate
    gha.set_outputs(
        {
            "pass-rate": "" if rate is None else f"{rate:.4f}",
            "regressions": run.totals.regressions,
            "verdict": run.gate.verdict,
        }
    )


def _print_text(run: RunResults, output: Path) -> None:
    from agentci.github import gha
    from agentci.report import text

    gha.print_untrusted(text.eval_report(run, output))
