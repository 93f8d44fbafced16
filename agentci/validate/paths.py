"""Workspace paths that would let one agent's deploy touch what is not its own.

- `memory_path` that overlaps another agent's memory, an agent's busy lock, or what deploys
  write (`/agents`, `/knowledge`, `/.agentci`, `/deployment.log`, `/.gitignore`): a deploy
  would snapshot, restore or `--wipe-memory` the wrong thing. Validate reports it; deploy
  refuses it (`memory_conflicts` is the one list both use).
- `workspace.path` in agentci.yaml that leaves the repository: a reviewed file must not
  point deploys at `/` or `../elsewhere`. Paths outside come only from `--workspace` or the
  `AGENTCI_WORKSPACE` variable (the Action's `workspace-path` input), which are trusted.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from agentci.findings import Finding, error
from agentci.validate.context import Context

#: What deploys write in a workspace: memory may not lie on, in or above these.
DEPLOYED = ("agents", "knowledge", ".agentci", "deployment.log", ".gitignore")


def _norm(path: str) -> str:
    return posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")


def _overlap(a: str, b: str) -> bool:
    return a == b or not a or not b or a.startswith(b + "/") or b.startswith(a + "/")


def _ancestors(path: str) -> list[str]:
    """Every proper ancestor of a normalised path, the root ("") included."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts))]


def memory_conflicts(agents: list[Any]) -> list[tuple[Any, str]]:
    """(agent, why) for every agent whose memory_path overlaps what is not its own memory.

    Two paths overlap when they are equal or one lies under the other. Every memory path and
    lock is indexed by its path and by each of its ancestors, so each agent's check is a few
    lookups (1,000 agents: ~10 ms, where comparing every pair took ~2.6 s)."""
    at: dict[str, list[tuple[int, int, Any, str]]] = {}  # path -> (agent, memory 0 / lock 1)
    under: dict[str, list[tuple[int, int, Any, str]]] = {}  # ancestor -> entries below it
    for index, agent in enumerate(agents):
        lock = agent.lock.path if agent.lock else None
        for kind, raw in ((0, agent.memory_path), (1, lock)):
            if raw:
                path, entry = _norm(raw), (index, kind, agent, raw)
                at.setdefault(path, []).append(entry)
                for ancestor in _ancestors(path):
                    under.setdefault(ancestor, []).append(entry)
    out: list[tuple[Any, str]] = []
    for index, agent in enumerate(agents):
        if not agent.memory_path:
            continue
        mine = _norm(agent.memory_path)
        if not mine:
            out.append((agent, "it is the workspace root"))
            continue
        hit = next((d for d in DEPLOYED if _overlap(mine, d)), None)
        if hit:
            out.append((agent, f"it overlaps /{hit}, which deploys replace"))
            continue
        overlapping = [
            entry for path in (mine, *_ancestors(mine)) for entry in at.get(path, ())
        ] + under.get(mine, [])
        # the first other agent in repo order, its memory before its lock (as a pairwise scan)
        others = [e for e in overlapping if e[0] != index]
        if others:
            _, kind, other, raw = min(others, key=lambda e: (e[0], e[1]))
            what = "memory" if kind == 0 else "busy lock"
            out.append((agent, f"it overlaps the {what} of agent {other.name!r} ({raw})"))
        elif agent.lock and _overlap(mine, _norm(agent.lock.path)):
            out.append((agent, f"it overlaps the agent's own busy lock ({agent.lock.path})"))
    return out


def check(ctx: Context) -> list[Finding]:
    out = []
    for agent, why in memory_conflicts(ctx.repo.agents):
        doc = ctx.repo.documents[agent.manifest]
        out.append(
            error(
                "memory-path-overlap",
                agent.manifest,
                doc.line_of(["agent", "memory_path"]),
                f"memory_path {agent.memory_path!r} of agent {agent.name!r}: {why}",
                "give each agent its own file, e.g. /memory/<agent>.json",
            )
        )
    out += _workspace_path(ctx)
    return out


def workspace_path_escapes(root: Path, value: str) -> bool:
    """True when workspace.path (as written in agentci.yaml) resolves outside `root`, or to
    `root` itself or its .git (deploys would replace the repository's own files)."""
    if "\0" in value:  # no file system has such a path: refused, never resolved
        return True
    root = root.resolve()
    target = (root / value).resolve()
    if target == root or target == root / ".git" or root / ".git" in target.parents:
        return True
    return root not in target.parents


def _workspace_path(ctx: Context) -> list[Finding]:
    doc = ctx.repo.documents.get("agentci.yaml")
    data = doc.data if doc and isinstance(doc.data, dict) else {}
    ws = data.get("workspace")
    value = ws.get("path") if isinstance(ws, dict) else None
    root = getattr(ctx.repo.source, "root", None)
    if (
        doc is None
        or not isinstance(value, str)
        or root is None
        or not workspace_path_escapes(Path(root), value)
    ):
        return []
    return [
        error(
            "workspace-path-escape",
            doc.path,
            doc.line_of(["workspace", "path"]),
            f"workspace.path {value!r} is not a directory inside the repository",
            "use a path inside the repo (default .agentci/workspace); point deploys elsewhere with "
            "--workspace or the AGENTCI_WORKSPACE variable (the Action's input), not a reviewed file",
        )
    ]
