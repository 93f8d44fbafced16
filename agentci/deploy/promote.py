"""Promotion: the commit an environment runs, when it is safe to take it further.

An environment qualifies as a source when every agent git declares at that commit is live
there at that one commit, Synced (the live files are that commit's, checked file by file
against the workspace now) and Healthy (its last deploy and smoke passed). Anything else —
a half-finished deploy, a hand edit, a Degraded agent, a mix of commits — is a refusal that
says which agent and why.
"""

from __future__ import annotations

from pathlib import Path

from agentci.config import Config
from agentci.errors import AgentciError

HEALTHY = "Healthy"


def refuse(message: str, hint: str = "") -> AgentciError:
    return AgentciError(message, hint=hint, exit_code=1)


def check_route(config: Config, source: str, target: str) -> None:
    src, dst = config.environment(source), config.environment(target)
    if src.name == dst.name:
        raise refuse(f"cannot promote {source} to itself")
    if dst.promote_from and dst.promote_from != src.name:
        raise refuse(
            f"environment {dst.name} takes promotions from {dst.promote_from}, not {src.name}",
            hint=f"agentci promote {dst.promote_from} {dst.name}",
        )


def live_commit(root: Path, source: str, workspace: str | None = None) -> str:
    """The one commit `source` runs, Synced and Healthy; raises a refusal otherwise."""
    from agentci.deploy.backends.registry import open_workspace
    from agentci.deploy.desired import load_desired
    from agentci.deploy.plan import make_plan
    from agentci.deploy.status import read_state

    head = load_desired(root, None, source)
    backend = open_workspace(head.config, root, workspace)
    try:
        state = read_state(backend)
        agents = state["agents"]
        commits = sorted({str(rec.get("commit")) for rec in agents.values()})
        if not agents:
            raise refuse(
                f"nothing is deployed on {source}", hint=f"agentci deploy --environment {source}"
            )
        if len(commits) != 1 or commits[0] in ("None", ""):
            raise refuse(
                f"{source} runs more than one commit ({', '.join(c[:12] for c in commits)})",
                hint=f"finish the deploy on {source} first (agentci deploy --environment {source})",
            )
        commit = commits[0]
        try:
            desired = load_desired(root, commit, source)
        except AgentciError as exc:
            raise refuse(
                f"{source} runs commit {commit[:12]}, which this checkout cannot read: {exc.message}",
                hint="fetch the full history (actions/checkout with fetch-depth: 0)",
            ) from None
        sick = [
            f"{n} is {rec.get('health')}"
            for n, rec in sorted(agents.items())
            if rec.get("health") != HEALTHY
        ]
        missing = [f"{n} is not deployed" for n in desired.agents if n not in agents]
        plan = make_plan(backend, desired)
        drift = [
            f"{a.name} is OutOfSync" + (" (live but not in git)" if a.extra else "")
            for a in plan.areas
            if (not a.in_sync and not a.extra) or a.extra
        ]
        problems = missing + sick + drift
        if problems:
            raise refuse(
                f"{source} is not Synced and Healthy at {commit[:12]}: " + "; ".join(problems[:5]),
                hint=f"fix {source} first (agentci status --environment {source})",
            )
        return commit
    finally:
        backend.close()
