"""Refuse a deploy target that dies with the job (here in github/, the one place that reads
the Actions environment): a `local` workspace inside the checkout of a
GitHub-hosted runner. The runner VM is thrown away after the job, and with it the workspace,
its memory snapshots and the lock; the next run re-sends everything and every drift check says
"not deployed". (GitHub sets GITHUB_ACTIONS=true, RUNNER_ENVIRONMENT=github-hosted|self-hosted
and GITHUB_WORKSPACE, the checkout directory, for every job.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from agentci.errors import AgentciError

#: set (to 1) in the workflow to deploy into the runner on purpose: a demo, a throwaway preview
ALLOW_ENV = "AGENTCI_ALLOW_EPHEMERAL_WORKSPACE"


def ephemeral_workspace(
    backend: str, path: str | None, env: Mapping[str, str] | None = None
) -> bool:
    env = env if env is not None else os.environ
    if backend != "local" or not path or env.get(ALLOW_ENV) in ("1", "true"):
        return False
    if env.get("GITHUB_ACTIONS") != "true" or env.get("RUNNER_ENVIRONMENT") != "github-hosted":
        return False
    checkout = env.get("GITHUB_WORKSPACE")
    if not checkout:
        return False
    target, top = Path(path).resolve(), Path(checkout).resolve()
    return target == top or top in target.parents


def check_persistent(
    backend: str, path: str | None, environment: str, env: Mapping[str, str] | None = None
) -> None:
    if ephemeral_workspace(backend, path, env):
        raise AgentciError(
            f"environment {environment!r}: the local workspace {path} is inside the checkout of a GitHub-hosted "
            "runner, which is deleted when the job ends (the deploy, its memory snapshots and its lock would "
            "vanish, and every drift check would report 'not deployed')",
            hint="deploy to a persistent backend (workspace.backend: s3 or fastio), or run the deploy job on a "
            f"self-hosted runner with --workspace pointing outside the checkout; {ALLOW_ENV}=1 deploys "
            "there anyway (a throwaway preview)",
            exit_code=1,
        )
