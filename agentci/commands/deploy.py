"""Reconcile the workspace with the repo (a commit, HEAD by default) and write the status back.

Only changed files are sent; each agent's release is swapped in atomically; memory is never
overwritten. Exit 0 when every agent is Synced and Healthy, 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentci.deploy.apply import DeployReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument("--ref", help="commit to deploy (default: HEAD); an older one rolls back")
    parser.add_argument("--workspace", metavar="PATH", help="local workspace directory (overrides workspace.path)")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    parser.add_argument("--prune", action="store_true", help="remove live agents that are no longer in git")
    parser.add_argument("--force", action="store_true", help="re-send every file and rebuild every release (validation errors still refuse the deploy)")
    parser.add_argument("--restore-memory", action="store_true",
                        help="put back the memory snapshot of the release being deployed (use with --ref)")
    parser.add_argument("--wipe-memory", action="store_true", help="clear agent memory (a snapshot is kept)")
    parser.add_argument("--no-smoke", action="store_true", help="skip the post-deploy smoke conversation")
    parser.add_argument("--self-heal", action="store_true",
                        help="only act when the workspace drifted from git (for scheduled runs)")
    parser.add_argument("--no-writeback", action="store_true", help="do not commit deployment-status.json")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--deadline", type=float, metavar="SECONDS",
                        help="give up (exit 1, old releases stay live) when the deploy is not done in this long")


def run(args: argparse.Namespace) -> int:
    from agentci import bounds
    from agentci.deploy.apply import DeployOptions, deploy
    from agentci.deploy.backends.registry import open_workspace
    from agentci.deploy.desired import load_desired
    from agentci.deploy.plan import make_plan
    from agentci.deploy.status import status_document
    from agentci.deploy.writeback import write_back
    from agentci.errors import AgentciError, UsageError
    from agentci.eval.render import RenderError

    if args.deadline is not None and not args.deadline > 0:
        raise UsageError("--deadline must be more than 0 seconds", hint="e.g. --deadline 900")
    bounds.set_run_deadline(args.deadline)
    root = Path(args.path).resolve()
    def log(s):
        return (print(s, file=sys.stderr, flush=True))
    opts = DeployOptions(root=root, ref=args.ref, workspace=args.workspace, dry_run=args.dry_run,
                         prune=args.prune, force=args.force, restore_memory=args.restore_memory,
                         wipe_memory=args.wipe_memory, smoke=not args.no_smoke, self_heal=args.self_heal, log=log)
    try:
        desired = load_desired(root, args.ref)
    except RenderError as exc:  # nothing was touched: the live releases stay
        raise AgentciError(f"deploy refused: {exc.message}", hint=exc.hint or "fix the prompt template", exit_code=1) from None
    if args.ref is None and desired.commit:
        _warn_uncommitted(root, desired.config.status_file, log)
    backend = open_workspace(desired.config, root, args.workspace)
    try:
        if args.self_heal and not args.dry_run and not make_plan(backend, desired).drift:
            _emit(args, {"commit": desired.commit, "workspace": backend.describe(), "result": "noop",
                         "agents": [], "message": "in sync; nothing to heal"},
                  f"{backend.describe()}: in sync with {(desired.commit or 'work tree')[:12]}; nothing to heal")
            return 0
        log(f"deploy {(desired.commit or 'work tree')[:12]} -> {backend.describe()} ({backend.name})"
            + (" [dry run]" if args.dry_run else ""))
        report = deploy(opts, backend, desired)
    finally:
        backend.close()
    data = report.to_json()
    if not args.dry_run and not args.no_writeback:
        doc = status_document(desired.config.workspace.environment, backend, desired.commit, report.result,
                              [a for a in report.agents])
        data["status_written"] = write_back(root, desired.config, doc, log)
    _emit(args, data, _text(report))
    if not args.dry_run:
        _actions_outputs(report)
    return 0 if report.result in ("ok", "noop") else 1


def _actions_outputs(report: DeployReport) -> None:
    """In GitHub Actions: the `deployed-sha` output and a job-summary table (no-ops locally)."""
    from agentci.github import gha

    if report.result == "ok" and report.commit:
        gha.set_output("deployed-sha", report.commit)
    rows = "\n".join(f"| {r.name} | `{(r.commit or '-')[:12]}` | {r.sync} | {r.health} | {r.files_sent} | "
                     f"{r.files_unchanged} |" for r in report.agents)
    gha.append_summary(f"### agentci deploy: {report.result}\n\n| agent | commit | sync | health | sent | "
                       f"unchanged |\n|---|---|---|---|---|---|\n{rows}\n")


def _warn_uncommitted(root: Path, status_file: str, log: Callable[[str], None]) -> None:
    """GitOps deploys commits: say so when the work tree holds edits that will not go out."""
    import subprocess

    out = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "."],
                         capture_output=True, text=True, check=False).stdout.splitlines()
    dirty = [line[3:] for line in out if not line[3:].startswith(".agentci/") and line[3:] != status_file]
    if dirty:
        log(f"note: {len(dirty)} uncommitted change(s) (e.g. {dirty[0]}) are not deployed; "
            "agentci deploys the commit (HEAD)")


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2) if args.format == "json" else text)


def _text(report: DeployReport) -> str:
    lines = []
    for a in report.areas:
        if a["changed"]:
            lines.append(f"  {a['name']}: {a['files_sent']} sent, {a['files_unchanged']} unchanged")
    for r in report.agents:
        detail = f"{r.files_sent} sent, {r.files_unchanged} unchanged" if r.changed or report.dry_run else "unchanged"
        extra = f"  memory {r.memory}" if r.memory else ""
        lines.append(f"  {r.name}: {r.sync} {r.health}  {detail}{extra}" + (f"\n    {r.message}" if r.message else ""))
    verb = "would deploy" if report.dry_run else "deployed"
    lines.append(f"{verb} {(report.commit or 'work tree')[:12]}: {report.result} ({report.duration_s:.2f}s)")
    return "\n".join(lines)
