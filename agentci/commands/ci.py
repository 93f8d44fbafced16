"""What the GitHub Action runs: picks the steps from the event.

pull_request -> validate + eval (changed agents, against the merge base) + report + gate;
push to the default branch -> validate + deploy; workflow_dispatch / schedule -> drift
check (diff). Without GitHub env vars it runs the pull-request flow on the current repo
and prints the report: `cd examples/support-bot && agentci ci` works offline.
"""

from __future__ import annotations

import argparse

from agentci.github.event import PR_ACTIONS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument(
        "--provider", metavar="NAME", help="run every agent on this provider (e.g. local)"
    )
    parser.add_argument(
        "--min-pass-rate", type=float, metavar="X", help="gate: overrides eval.gate.min_pass_rate"
    )
    parser.add_argument(
        "--fail-on-regression",
        choices=["true", "false", ""],
        default="",
        help="true: any regression fails the gate; false: regressions never do (default: agentci.yaml)",
    )
    parser.add_argument("--concurrency", type=int, metavar="N", help="model requests in flight")
    parser.add_argument("--templates", metavar="DIR", help="override report templates")
    parser.add_argument("--no-comment", action="store_true", help="do not post the PR comment")
    parser.add_argument(
        "--no-status", action="store_true", help="do not set the agentci commit status"
    )
    parser.add_argument(
        "--base",
        metavar="REF",
        help="outside Actions: run the pull-request flow against REF, as CI would (e.g. origin/main)",
    )
    parser.add_argument(
        "--status-context",
        metavar="NAME",
        default="agentci",
        help="commit status name (two agentci jobs need two names; default: agentci)",
    )
    parser.add_argument(
        "--pr-actions",
        metavar="A,B",
        default=",".join(PR_ACTIONS),
        help="pull_request actions that evaluate (default: %(default)s); others only validate",
    )


def run(args: argparse.Namespace) -> int:
    from agentci.flows.ci import CiOptions, ci
    from agentci.flows.pr import PrOptions
    from agentci.flows.report import ReportRequest
    from agentci.flows.run import Run

    opts = CiOptions(
        pr=PrOptions(
            provider=args.provider or None,
            min_pass_rate=args.min_pass_rate,
            fail_on_regression={"true": True, "false": False}.get(args.fail_on_regression),
            concurrency=args.concurrency or None,
            templates=args.templates,
            base=args.base,
            report=ReportRequest(
                comment=not args.no_comment,
                status=not args.no_status,
                status_context=args.status_context,
            ),
        ),
        pr_actions=tuple(a.strip() for a in args.pr_actions.split(",") if a.strip()),
    )
    run = Run.open(args.path, parse_cache=True)
    try:
        return ci(run, opts)
    finally:
        run.finish()
