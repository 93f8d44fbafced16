"""Reconcile the workspace with the repo (a commit, HEAD by default) and write the status back.

Only changed files are sent; each agent's release is swapped in atomically; memory is never
overwritten. Exit 0 when every agent is Synced and Healthy, 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentci.deploy.apply import DeployReport


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


def environment_arg(args: argparse.Namespace) -> str | None:
    """--environment, else AGENTCI_ENVIRONMENT (the Action's `environment` input), else the config's default."""
    return getattr(args, "environment", None) or os.environ.get("AGENTCI_ENVIRONMENT") or None


def log(s: str) -> None:
    print(s, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from agentci import bounds
    from agentci.errors import UsageError

    if args.deadline is not None and not args.deadline > 0:
        raise UsageError("--deadline must be more than 0 seconds", hint="e.g. --deadline 900")
    bounds.set_run_deadline(args.deadline)
    return deploy_environment(args, Path(args.path).resolve(), environment_arg(args), args.ref)


def deploy_environment(
    args: argparse.Namespace,
    root: Path,
    environment: str | None,
    ref: str | None,
    promoted_from: str | None = None,
) -> int:
    """Deploy `ref` to one environment: the body of `deploy`, and of `promote` once it chose the commit."""
    from agentci.deploy.apply import DeployOptions
    from agentci.deploy.backends.registry import open_workspace
    from agentci.deploy.desired import load_desired
    from agentci.deploy.plan import make_plan
    from agentci.errors import AgentciError
    from agentci.eval.render import RenderError
    from agentci.github.runner import check_persistent

    opts = DeployOptions(
        root=root,
        ref=ref,
        workspace=args.workspace,
        dry_run=args.dry_run,
        prune=args.prune,
        force=args.force,
        restore_memory=args.restore_memory,
        wipe_memory=args.wipe_memory,
        smoke=not args.no_smoke,
        self_heal=args.self_heal,
        log=log,
    )
    try:
        desired = load_desired(root, ref, environment)
    except RenderError as exc:  # nothing was touched: the live releases stay
        raise AgentciError(
            f"deploy refused: {exc.message}",
            hint=exc.hint or "fix the prompt template",
            exit_code=1,
        ) from None
    env_name, ws = desired.environment, desired.config.workspace
    if ref is None and desired.commit:
        _warn_uncommitted(root, desired.config.status_file, log)
    if not args.dry_run:
        check_persistent(
            ws.backend,
            str(Path(args.workspace).resolve()) if args.workspace else str(root / ws.path),
            env_name,
        )
    backend = open_workspace(desired.config, root, args.workspace)
    try:
        if args.self_heal and not args.dry_run and not make_plan(backend, desired).drift:
            _emit(
                args,
                {
                    "environment": env_name,
                    "commit": desired.commit,
                    "workspace": backend.describe(),
                    "result": "noop",
                    "agents": [],
                    "message": "in sync; nothing to heal",
                },
                f"{backend.describe()}: in sync with {(desired.commit or 'work tree')[:12]}; nothing to heal",
            )
            return 0
        log(
            f"deploy {(desired.commit or 'work tree')[:12]} -> {env_name}: {backend.describe()} ({backend.name})"
            + (f" [promoted from {promoted_from}]" if promoted_from else "")
            + (" [dry run]" if args.dry_run else "")
        )
        report = _run_tracked(args, opts, backend, desired, promoted_from)
    finally:
        backend.close()
    data = {
        "environment": env_name,
        **report.to_json(),
        **({"promoted_from": promoted_from} if promoted_from else {}),
    }
    if not args.dry_run and not args.no_writeback:
        from agentci.deploy.status import status_document
        from agentci.github.status_file import write_back

        doc = status_document(env_name, backend, desired.commit, report.result, list(report.agents))
        data["status_written"] = write_back(root, desired.config, doc, log)
    _emit(args, data, _text(report))
    if not args.dry_run:
        _actions_outputs(report)
    return 0 if report.result in ("ok", "noop") else 1


def _run_tracked(
    args: argparse.Namespace, opts: Any, backend: Any, desired: Any, promoted_from: str | None
) -> DeployReport:
    """The deploy, reported as it runs: a GitHub Deployment (in_progress, then its outcome) and
    the `notify:` webhooks. Neither can fail the deploy."""
    from agentci.deploy.apply import deploy
    from agentci.deploy.notify import notify_deploy
    from agentci.errors import AgentciError
    from agentci.github.deployments import DeploymentTracker

    env = desired.config.environment(desired.environment)
    tracker = None
    if not args.dry_run and not args.no_writeback:
        tracker = DeploymentTracker.start(
            env.name,
            desired.commit,
            env_url=env.url,
            log=log,
            description=f"agentci deploy{' (promoted from ' + promoted_from + ')' if promoted_from else ''}",
        )
    try:
        report = deploy(opts, backend, desired)
    except AgentciError as exc:
        if tracker:
            tracker.finish("error", exc.message)
        if not args.dry_run:
            notify_deploy(desired.config, env.name, desired.commit, "failed", [], exc.message, log)
        raise
    if tracker:
        tracker.finish(
            "success" if report.result == "ok" else "failure", f"agentci: {report.result}"
        )
    if not args.dry_run:
        from agentci.deploy.notify import deploy_event

        notify_deploy(
            desired.config, env.name, desired.commit, deploy_event(report), report.agents, "", log
        )
    return report


def _actions_outputs(report: DeployReport) -> None:
    """In GitHub Actions: the `deployed-sha` output and a job-summary table (no-ops locally)."""
    from agentci.github import gha

    if report.result == "ok" and report.commit:
        gha.set_output("deployed-sha", report.commit)
    rows = "\n".join(
        f"| {r.name} | `{(r.commit or '-')[:12]}` | {r.sync} | {r.health} | {r.files_sent} | "
        f"{r.files_unchanged} |"
        for r in report.agents
    )
    gha.append_summary(
        f"### agentci deploy: {report.result}\n\n| agent | commit | sync | health | sent | "
        f"unchanged |\n|---|---|---|---|---|---|\n{rows}\n"
    )


def _warn_uncommitted(root: Path, status_file: str, log: Callable[[str], None]) -> None:
    """GitOps deploys commits: say so when the work tree holds edits that will not go out."""
    from agentci import git

    out = git.status(root, ".")
    dirty = [
        line[3:] for line in out if not line[3:].startswith(".agentci/") and line[3:] != status_file
    ]
    if dirty:
        log(
            f"note: {len(dirty)} uncommitted change(s) (e.g. {dirty[0]}) are not deployed; "
            "agentci deploys the commit (HEAD)"
        )


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2) if args.format == "json" else text)


def _text(report: DeployReport) -> str:
    lines = []
    for a in report.areas:
        if a["changed"]:
            lines.append(f"  {a['name']}: {a['files_sent']} sent, {a['files_unchanged']} unchanged")
    for r in report.agents:
        detail = (
            f"{r.files_sent} sent, {r.files_unchanged} unchanged"
            if r.changed or report.dry_run
            else "unchanged"
        )
        extra = f"  memory {r.memory}" if r.memory else ""
        lines.append(
            f"  {r.name}: {r.sync} {r.health}  {detail}{extra}"
            + (f"\n    {r.message}" if r.message else "")
        )
    verb = "would deploy" if report.dry_run else "deployed"
    lines.append(
        f"{verb} {(report.commit or 'work tree')[:12]}: {report.result} ({report.duration_s:.2f}s)"
    )
    return "\n".join(lines)
