"""Agent memory at `memory_path`: never overwritten by a deploy; snapshotted per release.

A snapshot is taken of the memory as it is when a release stops being live, stored at
`.agentci/memory/<agent>/<release>.snapshot`. `--restore-memory` puts back the snapshot of
the release being deployed (so `deploy --ref OLD --restore-memory` returns to OLD's memory);
`--wipe-memory` clears it (after a snapshot, so a wipe can be undone too).
"""

from __future__ import annotations

from agentci.deploy.backends.base import Backend
from agentci.deploy.desired import workspace_path
from agentci.errors import AgentciError

SNAPSHOTS = ".agentci/memory"


def memory_file(memory_path: str) -> str:
    return workspace_path(memory_path)


def snapshot_path(agent: str, release: str) -> str:
    return f"{SNAPSHOTS}/{agent}/{release}.snapshot"


def snapshot(backend: Backend, agent: str, memory_path: str, release: str | None) -> bool:
    """Copy the current memory aside under the outgoing release; False when there is none."""
    if not release:
        return False
    data = backend.read(memory_file(memory_path))
    if data is None:
        return False
    backend.write(snapshot_path(agent, release), data)
    return True


def restore(
    backend: Backend, agent: str, memory_path: str, release: str, commit: str | None
) -> None:
    data = backend.read(snapshot_path(agent, release))
    if data is None:
        raise no_snapshot(agent, release, commit)
    backend.write(memory_file(memory_path), data)


def no_snapshot(agent: str, release: str, commit: str | None) -> AgentciError:
    return AgentciError(
        f"no memory snapshot of agent {agent!r} for release {release} (commit {(commit or '?')[:12]}); "
        "nothing was changed",
        hint="snapshots are taken when a release is replaced; deploy without --restore-memory, or pick "
        "a --ref that was live before",
        exit_code=1,
    )


def wipe(backend: Backend, memory_path: str) -> None:
    backend.delete(memory_file(memory_path))
