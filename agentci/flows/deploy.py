"""The deploy step: reconcile one environment's workspace with a commit and write the status
back. `agentci deploy` and `promote` are this step alone; `merge()` runs it after validation."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentci import git
from agentci.deploy.settings import DeploySettings
from agentci.flows.run import Run

if TYPE_CHECKING:
    from agentci.deploy.apply import DeployOptions, DeployReport


@dataclass(kw_only=True)
class DeployRequest(DeploySettings):
    """The deploy engine's settings plus what the flow adds around it."""

    environment: str | None = None
    writeback: bool = True
    deadline: float | None = None
    promoted_from: str | None = None


@dataclass
class Deployment:
    data: dict[str, Any]  # the JSON report (`agentci deploy --format json`)
    text: str  # the same for a person
    report: DeployReport | None  # None when a self-heal found nothing to do

    @property
    def result(self) -> str:
        return str(self.data.get("result") or "")

    @property
    def exit_code(self) -> int:
        return 0 if self.result in ("ok", "noop") else 1


def environment(name: str | None = None) -> str | None:
    """The environment to act on: `name` (--environment), else AGENTCI_ENVIRONMENT (the Action's
    `environment` input), else None (the config's default)."""
    return name or os.environ.get("AGENTCI_ENVIRONMENT") or None


def log(s: str) -> None:
    print(s, file=sys.stderr, flush=True)


def deploy(run: Run, req: DeployRequest) -> Deployment:
    """Deploy `req.ref` to one environment (the body of `deploy`, and of `promote` once it
    chose the commit). Raises AgentciError when refused; the live releases then stay."""
    from agentci import bounds
    from agentci.deploy.apply import DeployOptions
    from agentci.deploy.backends.registry import open_workspace
    from agentci.deploy.desired import load_desired
    from agentci.deploy.plan import make_plan
    from agentci.errors import AgentciError, UsageError
    from agentci.eval.render import RenderError
    from agentci.github.runner import check_persistent

    if req.deadline is not None and not req.deadline > 0:
        raise UsageError("--deadline must be more than 0 seconds", hint="e.g. --deadline 900")
    bounds.set_run_deadline(req.deadline)
    root = run.root
    opts = DeployOptions(root=root, log=log, **req.settings())
    try:
        desired = load_desired(root, req.ref, req.environment)
    except RenderError as exc:  # nothing was touched: the live releases stay
        raise AgentciError(
            f"deploy refused: {exc.message}",
            hint=exc.hint or "fix the prompt template",
            exit_code=1,
        ) from None
    env_name, ws = desired.environment, desired.config.workspace
    if req.ref is None and desired.commit:
        _warn_uncommitted(root, desired.config.status_file, log)
    if not req.dry_run:
        check_persistent(
            ws.backend,
            str(Path(req.workspace).resolve()) if req.workspace else str(root / ws.path),
            env_name,
        )
    backend = open_workspace(desired.config, root, req.workspace)
    try:
        if req.self_heal and not req.dry_run and not make_plan(backend, desired).drift:
            data: dict[str, Any] = {
                "environment": env_name,
                "commit": desired.commit,
                "workspace": backend.describe(),
                "result": "noop",
                "agents": [],
                "message": "in sync; nothing to heal",
            }
            text = f"{backend.describe()}: in sync with {(desired.commit or 'work tree')[:12]}; nothing to heal"
            return Deployment(data, text, None)
        log(
            f"deploy {(desired.commit or 'work tree')[:12]} -> {env_name}: {backend.describe()} ({backend.name})"
            + (f" [promoted from {req.promoted_from}]" if req.promoted_from else "")
            + (" [dry run]" if req.dry_run else "")
        )
        report = _run_tracked(req, opts, backend, desired)
    finally:
        backend.close()
    data = {
        "environment": env_name,
        **report.to_json(),
        **({"promoted_from": req.promoted_from} if req.promoted_from else {}),
    }
    if not req.dry_run and req.writeback:
        from agentci.deploy.status import status_document
        from agentci.github.status_file import write_back

        doc = status_document(env_name, backend, desired.commit, report.result, list(report.agents))
        data["status_written"] = write_back(root, desired.config, doc, log)
    return Deployment(data, _text(report), report)


def summary_section(deployment: Deployment, templates: str | None, run_url: str | None) -> str:
    """The deploy's one section of the job summary."""
    from agentci.report.render import Renderer

    return Renderer(templates).deploy_status(deployment.data, run_url)


def _run_tracked(
    req: DeployRequest, opts: DeployOptions, backend: Any, desired: Any
) -> DeployReport:
    """The deploy, reported as it runs: a GitHub Deployment (in_progress, then its outcome) and
    the `notify:` webhooks. Neither can fail the deploy."""
    from agentci.deploy.apply import deploy as apply
    from agentci.deploy.notify import notify_deploy
    from agentci.errors import AgentciError
    from agentci.github.deployments import DeploymentTracker

    env = desired.config.environment(desired.environment)
    promoted = req.promoted_from
    tracker = None
    if not req.dry_run and req.writeback:
        tracker = DeploymentTracker.start(
            env.name,
            desired.commit,
            env_url=env.url,
            log=log,
            description=f"agentci deploy{' (promoted from ' + promoted + ')' if promoted else ''}",
        )
    try:
        report = apply(opts, backend, desired)
    except AgentciError as exc:
        if tracker:
            tracker.finish("error", exc.message)
        if not req.dry_run:
            notify_deploy(desired.config, env.name, desired.commit, "failed", [], exc.message, log)
        raise
    if tracker:
        tracker.finish(
            "success" if report.result == "ok" else "failure", f"agentci: {report.result}"
        )
    if not req.dry_run:
        from agentci.deploy.notify import deploy_event

        notify_deploy(
            desired.config, env.name, desired.commit, deploy_event(report), report.agents, "", log
        )
    return report


def _warn_uncommitted(root: Path, status_file: str, log: Callable[[str], None]) -> None:
    """GitOps deploys commits: say so when the work tree holds edits that will not go out."""
    out = git.status(root, ".")
    dirty = [
        line[3:] for line in out if not line[3:].startswith(".agentci/") and line[3:] != status_file
    ]
    if dirty:
        log(
            f"note: {len(dirty)} uncommitted change(s) (e.g. {dirty[0]}) are not deployed; "
            "agentci deploys the commit (HEAD)"
        )


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
