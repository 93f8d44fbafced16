"""The deploy: reconcile the workspace with a commit, one area at a time, under the lease.

Order (sync waves): knowledge and policies first, then each agent. Per area only the files
whose hash differs are sent; the rest are carried over from the live release; then the
release is swapped in atomically. After an agent's swap: wait for indexing (when the backend
indexes), run its smoke conversation, and on failure swap the previous release back.
Nothing is changed before every precondition (secrets, memory paths, agent count) holds.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentci.deploy import memory
from agentci.deploy.backends.base import Backend, BackendError
from agentci.deploy.desired import Area, Desired, DesiredAgent, load_desired
from agentci.deploy.lock import WorkspaceLease, wait_agent_free, who
from agentci.deploy.plan import ADDED, MODIFIED, AreaPlan, Plan, make_plan
from agentci.deploy.settings import DeploySettings
from agentci.deploy.status import (
    DEGRADED,
    HEALTHY,
    MISSING,
    OUT_OF_SYNC,
    PROGRESSING,
    SYNCED,
    AgentResult,
    append_log,
    elapsed,
    read_state,
    record_agent,
    write_state,
)
from agentci.errors import AgentciError

KEEP_RELEASES = 10


@dataclass(kw_only=True)
class DeployOptions(DeploySettings):
    root: Path
    log: Callable[[str], None] = lambda s: None


@dataclass
class DeployReport:
    commit: str | None
    workspace: str
    backend: str
    dry_run: bool
    result: str = "ok"  # ok | failed | noop
    agents: list[AgentResult] = field(default_factory=list)
    areas: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "workspace": self.workspace,
            "backend": self.backend,
            "dry_run": self.dry_run,
            "result": self.result,
            "duration_s": self.duration_s,
            "agents": [a.to_json() for a in self.agents],
            "areas": self.areas,
            "messages": self.messages,
        }


def preflight(desired: Desired, opts: DeployOptions) -> None:
    if not desired.agents:
        raise AgentciError(
            f"{desired.label}: no agents found; refusing a deploy that would leave the workspace empty",
            hint="check the `agents:` globs in agentci.yaml",
            exit_code=1,
        )
    from agentci.validate.paths import memory_conflicts

    conflicts = memory_conflicts([d.agent for d in desired.agents.values()])
    if conflicts:  # snapshot, restore or --wipe-memory would act on what is not this agent's memory
        raise AgentciError(
            "deploy refused: "
            + "; ".join(
                f"{a.manifest}: memory_path {a.memory_path!r} of agent {a.name!r}: {why}"
                for a, why in conflicts
            ),
            hint="give each agent its own file, e.g. /memory/<agent>.json; nothing was changed",
            exit_code=1,
        )
    missing: list[str] = []
    for d in desired.agents.values():
        gone = [s for s in d.agent.secrets if not os.environ.get(s)]
        if gone:
            missing.append(f"  agent {d.name} ({d.agent.manifest}): {', '.join(gone)}")
    if missing:
        names = sorted(
            {s for d in desired.agents.values() for s in d.agent.secrets if not os.environ.get(s)}
        )
        raise AgentciError(
            "secrets named in `secrets:` are not set in the environment; nothing was changed:\n"
            + "\n".join(missing),
            hint="export them, or in Actions pass them with env: "
            + ", ".join(f"{n}: ${{{{ secrets.{n} }}}}" for n in names),
            exit_code=1,
        )
    if (opts.restore_memory or opts.wipe_memory) and opts.restore_memory == opts.wipe_memory:
        raise AgentciError("--restore-memory and --wipe-memory cannot be used together")


def deploy(opts: DeployOptions, backend: Backend, desired: Desired | None = None) -> DeployReport:
    start = time.monotonic()
    desired = desired or load_desired(opts.root, opts.ref)
    preflight(desired, opts)
    report = DeployReport(desired.commit, backend.describe(), backend.name, opts.dry_run)
    prune = opts.prune or desired.config.workspace.prune
    if opts.dry_run:
        plan = make_plan(backend, desired)
        _report_plan(report, plan, desired, prune)
        report.duration_s = elapsed(start)
        return report
    ws = desired.config.workspace
    wait = (
        float(ws.options.get("lock_wait", 600))
        if isinstance(ws.options.get("lock_wait"), (int, float))
        else 600.0
    )
    with WorkspaceLease(backend, ws.lock_ttl, wait, opts.log) as lease:
        try:
            _reconcile(backend, desired, opts, lease, report, prune)
        except (BackendError, OSError) as exc:
            text = exc.message if isinstance(exc, BackendError) else f"{type(exc).__name__}: {exc}"
            with contextlib.suppress(Exception):  # the backend may be what is down
                append_log(
                    backend,
                    {
                        "who": who(),
                        "commit": desired.commit,
                        "ref": opts.ref,
                        "result": "failed",
                        "error": text,
                    },
                )
            raise AgentciError(
                f"deploy failed: {text}",
                hint="nothing was half-swapped: every area still shows a whole release; "
                "re-run the deploy to finish it",
                exit_code=1,
            ) from None
    report.duration_s = elapsed(start)
    return report


def _reconcile(
    backend: Backend,
    desired: Desired,
    opts: DeployOptions,
    lease: WorkspaceLease,
    report: DeployReport,
    prune: bool,
) -> None:
    ws = desired.config.workspace
    locked_at = time.time()
    state = read_state(backend)
    plan = make_plan(backend, desired)
    extras = [a for a in plan.areas if a.extra]
    if prune and extras and not desired.agents:
        raise AgentciError(
            "refusing to prune every agent: the workspace would be empty", exit_code=1
        )
    if opts.restore_memory:
        _check_snapshots(backend, desired, plan)
    for wave, area in ((plan.areas[0], desired.knowledge), (plan.areas[1], desired.policies)):
        report.areas.append(
            _apply_area(backend, wave, area, opts, lease, state, desired.commit, ws.index_timeout)
        )
    for name, d in desired.agents.items():
        agent_plan = plan.agent(name)
        assert agent_plan is not None
        lease.check()
        result = _deploy_agent(backend, agent_plan, d, desired, opts, lease, state)
        report.agents.append(result)
        if result.changed:
            write_state(backend, state)  # progress survives a kill between agents
    for ap in extras:
        if prune:
            lease.check()
            backend.swap_release(ap.ref, None)
            state["agents"].pop(ap.name, None)
            report.messages.append(f"pruned agent {ap.name} (not in git)")
            opts.log(f"{ap.name}: pruned")
        else:
            report.agents.append(
                AgentResult(
                    ap.name,
                    state["agents"].get(ap.name, {}).get("commit"),
                    ap.live_release,
                    sync=OUT_OF_SYNC,
                    health=HEALTHY,
                    message="live but not in git; deploy --prune removes it",
                )
            )
    _gc(backend, desired, state)
    failed = any(
        r.health in (DEGRADED, MISSING) or r.sync != SYNCED
        for r in report.agents
        if r.name in desired.agents
    )
    report.result = "failed" if failed else "ok"
    write_state(backend, state)
    append_log(
        backend,
        {
            "who": who(),
            "commit": desired.commit,
            "ref": opts.ref,
            "result": report.result,
            "self_heal": opts.self_heal,
            "locked_at": locked_at,
            "finished_at": time.time(),
            "changed": {
                **{a["name"]: a["files_sent"] for a in report.areas if a["changed"]},
                **{r.name: r.files_sent for r in report.agents if r.changed},
            },
            "health": {r.name: r.health for r in report.agents},
        },
    )


def _check_snapshots(backend: Backend, desired: Desired, plan: Plan) -> None:
    """--restore-memory is a precondition: without every snapshot, change nothing (not even knowledge)."""
    for name, d in desired.agents.items():
        ap = plan.agent(name)
        if (
            d.agent.memory_path
            and ap
            and ap.release
            and not backend.exists(memory.snapshot_path(name, ap.release))
        ):
            raise memory.no_snapshot(name, ap.release, desired.commit)


def _report_plan(report: DeployReport, plan: Plan, desired: Desired, prune: bool) -> None:
    for ap in plan.areas:
        sent = sum(1 for c in ap.changes.values() if c in (ADDED, MODIFIED))
        if ap.kind == "agent":
            report.agents.append(
                AgentResult(
                    ap.name,
                    desired.commit,
                    ap.release,
                    files_sent=sent,
                    files_unchanged=len(ap.unchanged),
                    changed=not ap.in_sync,
                    sync=ap.sync,
                    health=PROGRESSING if not ap.in_sync else HEALTHY,
                    message=("would prune" if prune else "not in git") if ap.extra else "",
                )
            )
        else:
            report.areas.append(
                {
                    "name": ap.name,
                    "release": ap.release,
                    "changed": not ap.in_sync,
                    "files_sent": sent,
                    "files_unchanged": len(ap.unchanged),
                    "sync": ap.sync,
                }
            )


def _stage(backend: Backend, ap: AreaPlan, area: Area, force: bool) -> int:
    """Build the desired release; returns how many files were sent."""
    assert ap.release is not None
    existing = backend.release_files(area.ref, ap.release)
    if existing == ap.desired and not force:
        return 0  # e.g. a rollback to a release that is still kept: nothing to send
    base = ap.live_release if (ap.live_release and not force) else None
    keep = [p for p in ap.unchanged if base] if base else []
    send = {p: area.files[p] for p in area.files if p not in keep}
    backend.stage_release(area.ref, ap.release, send, keep, base)
    return len(send)


def _apply_area(
    backend: Backend,
    ap: AreaPlan,
    area: Area,
    opts: DeployOptions,
    lease: WorkspaceLease,
    state: dict[str, Any],
    commit: str | None,
    index_timeout: float,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": ap.name,
        "release": ap.release,
        "changed": False,
        "files_sent": 0,
        "files_unchanged": len(ap.desired),
        "sync": SYNCED,
    }
    if ap.in_sync and not opts.force:
        return out
    lease.check()
    sent = _stage(backend, ap, area, opts.force)
    backend.swap_release(area.ref, ap.release)
    out.update(changed=True, files_sent=sent, files_unchanged=len(ap.desired) - sent)
    opts.log(
        f"{ap.name}: release {ap.release} live ({sent} sent, {len(ap.desired) - sent} unchanged)"
    )
    if backend.indexes and ap.kind == "knowledge":
        out["indexed"] = _wait_index(backend, area, list(area.files), index_timeout, opts)
        failed = backend.index_failed(area.ref, list(area.files))
        if failed:  # a failed file is not indexed: the agent's RAG will not find it
            out["indexed"], out["index_failed"] = False, sorted(failed)
            opts.log(
                f"{area.ref.key}: indexing failed for {len(failed)} file(s): {', '.join(sorted(failed)[:5])}"
            )
    state["areas"][ap.name] = {"commit": commit, "release": ap.release, "time": time.time()}
    return out


def _wait_index(
    backend: Backend, area: Area, paths: list[str], timeout: float, opts: DeployOptions
) -> bool:
    deadline, delay = time.monotonic() + timeout, 0.2
    while True:
        pending = backend.index_pending(area.ref, paths)
        if not pending:
            return True
        if time.monotonic() >= deadline:
            opts.log(f"{area.ref.key}: {len(pending)} file(s) still indexing after {timeout:g}s")
            return False
        backend.wait_for_change(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 5.0)


def _deploy_agent(
    backend: Backend,
    ap: AreaPlan,
    d: DesiredAgent,
    desired: Desired,
    opts: DeployOptions,
    lease: WorkspaceLease,
    state: dict[str, Any],
) -> AgentResult:
    prev = state["agents"].get(d.name, {})
    r = AgentResult(d.name, desired.commit, ap.release, files_unchanged=len(ap.desired))
    mem = d.agent.memory_path
    touch_memory = bool(mem) and (opts.restore_memory or opts.wipe_memory)
    if ap.in_sync and not opts.force and not touch_memory:
        # In sync with this commit: that is the commit this agent now runs (content-identical).
        r.sync, r.health = (
            SYNCED,
            prev.get("health", HEALTHY) if prev.get("release") == ap.release else HEALTHY,
        )
        if r.health == DEGRADED:
            r.health = HEALTHY  # the live release is the desired one and nothing failed since
        record_agent(state, r, ap.desired, d.knowledge)
        return r
    pause = None
    try:
        if d.agent.lock:
            pause = wait_agent_free(backend, d.name, d.agent.lock, desired.commit, opts.log)
        lease.check()
        if (
            mem
            and opts.restore_memory
            and ap.release
            and not backend.exists(memory.snapshot_path(d.name, ap.release))
        ):
            memory.restore(
                backend, d.name, mem, ap.release, desired.commit
            )  # raises: no snapshot, nothing swapped
        if mem and memory.snapshot(backend, d.name, mem, ap.live_release):
            r.memory = "snapshot"
        r.files_sent = _stage(backend, ap, d.area, opts.force)
        r.files_unchanged = len(ap.desired) - r.files_sent
        backend.swap_release(ap.ref, ap.release)
        r.changed = True
        opts.log(
            f"{d.name}: release {ap.release} live ({r.files_sent} sent, {r.files_unchanged} unchanged)"
        )
        if mem and opts.restore_memory:
            assert ap.release is not None
            memory.restore(backend, d.name, mem, ap.release, desired.commit)
            r.memory = "restored"
        elif mem and opts.wipe_memory:
            memory.wipe(backend, mem)
            r.memory = "wiped"
        r.sync, r.health = SYNCED, HEALTHY
        if opts.smoke and d.agent.smoke:
            _smoke(backend, ap, d, r, opts)
    except (AgentciError, BackendError, OSError) as exc:
        text = exc.message if isinstance(exc, AgentciError) else f"{type(exc).__name__}: {exc}"
        r.sync, r.health, r.message = (
            OUT_OF_SYNC,
            DEGRADED if r.changed else prev.get("health", MISSING),
            text,
        )
        opts.log(f"{d.name}: FAILED: {text}")
    finally:
        if pause:
            backend.delete(pause)
    if r.sync == SYNCED or r.changed:
        record_agent(state, r, ap.desired if r.sync == SYNCED else (ap.live or {}), d.knowledge)
    return r


def _smoke(
    backend: Backend, ap: AreaPlan, d: DesiredAgent, r: AgentResult, opts: DeployOptions
) -> None:
    from agentci.deploy.smoke import run_smoke

    opts.log(f"{d.name}: smoke conversation ({d.agent.model.provider}/{d.agent.model.name})")
    result = None
    try:
        result = run_smoke(d.agent, d.area.files.get("system_prompt.md", b"").decode("utf-8"))
        reasons = result.reasons
    except AgentciError as exc:
        reasons = [exc.message]
    r.smoke = result.to_json() if result else {"passed": False, "output": "", "reasons": reasons}
    if result and result.passed:
        return
    back = ap.live_release if ap.live_release != ap.release else None
    backend.swap_release(ap.ref, back)
    r.sync, r.health = OUT_OF_SYNC, DEGRADED
    r.release = back
    r.commit = None
    r.message = (
        "smoke failed: "
        + "; ".join(reasons)
        + (
            f"; previous release {back} put back"
            if back
            else "; no previous release, agent removed"
        )
    )
    opts.log(f"{d.name}: {r.message}")


def _gc(backend: Backend, desired: Desired, state: dict[str, Any]) -> None:
    for area in desired.areas():
        backend.sweep(area.ref)
        live = backend.live_release(area.ref)
        releases = backend.list_releases(area.ref)
        keep_n = KEEP_RELEASES if backend.keep_releases is None else backend.keep_releases
        if len(releases) <= keep_n:
            continue
        hist = [
            h.get("release")
            for h in state["agents"].get(area.ref.key.split("/", 1)[-1], {}).get("history", [])
        ]
        keep = {live, *(hist[-keep_n:] if keep_n else [])}
        for rel in releases:
            if rel not in keep:
                backend.delete_release(area.ref, rel)
    backend.collect_garbage()
