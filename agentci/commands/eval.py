"""Run the golden eval sets of every agent (or --agent NAME), compare with --base REF, gate the result.

Exit 0 when the gate passes, 1 when it fails (with a one-line reason), 2 on bad usage.
"""

from __future__ import annotations

import argparse
from pathlib import Path


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
    from agentci.flows.evaluate import EvalRequest, evaluate
    from agentci.flows.run import Run

    req = EvalRequest(
        agents=args.agent,
        base=args.base,
        changed_only=args.changed_only,
        provider=args.provider,
        concurrency=args.concurrency,
        no_cache=args.no_cache,
        shard=args.shard,
        output=Path(args.output) if args.output else None,
        junit=Path(args.junit) if args.junit else None,
        format=args.format,
        min_pass_rate=args.min_pass_rate,
        max_regressions=args.max_regressions,
        deadline=args.deadline,
        skip_missing_keys=args.skip_missing_keys,
    )
    req.check()  # before reading the event or the repo
    run = Run.open(args.path, need_dir=False, parse_cache=not args.no_cache)
    try:
        return evaluate(run, req).exit_code
    finally:
        run.finish()
