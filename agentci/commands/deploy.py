"""Reconcile the workspace with the repo (a commit, HEAD by default) and write the status back.

Only changed files are sent; each agent's release is swapped in atomically; memory is never
overwritten. Exit 0 when every agent is Synced and Healthy, 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentci.flows.deploy import Deployment, DeployRequest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument("--ref", help="commit to deploy (default: HEAD); an older one rolls back")
    parser.add_argument(
        "--workspace", metavar="PATH", help="local workspace directory (overrides workspace.path)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change; change nothing"
    )
    parser.add_argument(
        "--prune", action="store_true", help="remove live agents that are no longer in git"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="re-send every file and rebuild every release (validation errors still refuse the deploy)",
    )
    parser.add_argument(
        "--restore-memory",
        action="store_true",
        help="put back the memory snapshot of the release being deployed (use with --ref)",
    )
    parser.add_argument(
        "--wipe-memory", action="store_true", help="clear agent memory (a snapshot is kept)"
    )
    parser.add_argument(
        "--no-smoke", action="store_true", help="skip the post-deploy smoke conversation"
    )
    parser.add_argument(
        "--self-heal",
        action="store_true",
        help="only act when the workspace drifted from git (for scheduled runs)",
    )
    parser.add_argument(
        "--no-writeback", action="store_true", help="do not commit deployment-status.json"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="give up (exit 1, old releases stay live) when the deploy is not done in this long",
    )
    add_environment(parser)


def add_environment(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--environment",
        metavar="NAME",
        help="environment from agentci.yaml `environments:` (default: AGENTCI_ENVIRONMENT, "
        "else default_environment, else the only one)",
    )


def run(args: argparse.Namespace) -> int:
    from agentci.flows.deploy import DeployRequest, environment

    req = DeployRequest(
        ref=args.ref,
        environment=environment(args.environment),
        workspace=args.workspace,
        dry_run=args.dry_run,
        prune=args.prune,
        force=args.force,
        restore_memory=args.restore_memory,
        wipe_memory=args.wipe_memory,
        smoke=not args.no_smoke,
        self_heal=args.self_heal,
        writeback=not args.no_writeback,
        deadline=args.deadline,
    )
    return deploy_and_show(args.path, req, args.format)


def deploy_and_show(path: str, req: DeployRequest, fmt: str) -> int:
    """Run the deploy step, print its report, and in Actions the `deployed-sha` output and the
    deploy's job-summary section (shared with `promote`)."""
    from agentci.flows.deploy import deploy
    from agentci.flows.run import Run

    run = Run.open(path, need_dir=False, event=False)
    try:
        done = deploy(run, req)
        print(json.dumps(done.data, indent=2) if fmt == "json" else done.text)
        if not req.dry_run and done.report is not None:
            _actions_outputs(run, done)
        return done.exit_code
    finally:
        run.finish()


def _actions_outputs(run: object, done: Deployment) -> None:
    from agentci.flows.deploy import summary_section
    from agentci.flows.run import Run

    assert isinstance(run, Run)
    report = done.report
    if report is not None and report.result == "ok" and report.commit:
        run.outputs.set({"deployed-sha": report.commit})
    if run.outputs.has_summary:
        run.outputs.summary(summary_section(done, None, None))
