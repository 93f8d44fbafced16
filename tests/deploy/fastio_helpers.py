"""Helpers for the Fast.io deploy tests: a repo configured for the stand-in, the CLI run against it,
and the checks every Fast.io deploy must pass (one node per path, the commit's bytes, no lock left)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from deploy_helpers import (
    commit_all,
    deploy,
    desired_areas,
    git,
    make_repo,
    run_cli,
    write,
)
from deploy_helpers import popen_deploy as shared_popen_deploy

from tests.servers.fastio_server import FastioServer

KEY = "fio_secret_api_key_value"
BIG = 5 * 1024 * 1024


def big_text(seed: str) -> str:
    line = f"{seed} knowledge line for the 5 MB file, sentence after sentence.\n"
    return (line * (BIG // len(line) + 1))[:BIG]


def fastio_repo(
    root: Path,
    fio: FastioServer,
    *,
    agents: tuple[str, ...] = ("alpha", "beta"),
    knowledge: int = 12,
    big: bool = True,
    extra: str = "",
) -> Path:
    repo = make_repo(root, agents=list(agents), knowledge_files=knowledge)
    if big:
        write(repo / "knowledge/shared/big.md", big_text("v1"))
    (repo / "agentci.yaml").write_text(
        "workspace:\n  backend: fastio\n  lock_ttl: 5\n  index_timeout: 20\n"
        f"  fastio: {{workspace_id: '{fio.workspace_id}', base_url: '{fio.url}', timeout: 10, retries: 8{extra}}}\n"
    )
    commit_all(repo, "fastio workspace")
    return repo


def env(**more: str) -> dict[str, str]:
    return {"FASTIO_API_KEY": KEY, **more}


def fdeploy(
    repo: Path, *args: str, environ: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    return deploy(repo, *args, env=environ or env())


def popen_deploy(repo: Path) -> subprocess.Popen[str]:
    return shared_popen_deploy(repo, env=env(), drop=("FASTIO_",))


def check_deployed(fio: FastioServer, repo: Path, ref: str = "HEAD") -> None:
    """Every path exists exactly once with the commit's content; state names the commit; no lock left."""
    commit = git(repo, "rev-parse", ref)
    paths = fio.paths()
    twins = {p: len(c) for p, c in paths.items() if len(c) > 1}
    assert not twins, f"paths with more than one node: {twins}"
    for area, files in desired_areas(repo, commit).items():
        assert fio.files(area) == files, f"{area} differs from {commit[:8]}"
    state = json.loads(paths[".agentci/state.json"][0])
    assert {a["commit"] for a in state["agents"].values()} == {commit}
    assert {a["commit"] for a in state["areas"].values()} <= {
        commit,
        *[a["commit"] for a in state["areas"].values()],
    }
    assert fio.locked_nodes() == [], "a lock was left behind"
    assert not [p for p in paths if p.endswith(".claim")], "a lease claim was left behind"
    assert not [p for p in paths if "/.tmp-" in p], "a half-built release was left behind"


def uploads(fio: FastioServer, since: int = 0) -> list[str]:
    """Names sent with POST upload/ (one per file upload or session) since request `since`."""
    return [
        r["form"].get("name", "")
        for r in fio.requests[since:]
        if r["method"] == "POST" and r["path"] == "upload"
    ]


__all__ = [
    "BIG",
    "KEY",
    "big_text",
    "check_deployed",
    "commit_all",
    "env",
    "fastio_repo",
    "fdeploy",
    "popen_deploy",
    "run_cli",
    "uploads",
    "write",
]
