"""The workspace backend interface: what a deploy needs from the place agents run.

Two kinds of paths live in a workspace:
- *areas* (`agents/<name>`, `knowledge`, `.agentci/policies`): swapped as whole releases.
  A release is a content-addressed set of files; `swap_release` makes it live at the
  area's path in one atomic step, so a reader sees the old or the new release, never a mix.
- plain files (state, audit log, memory, locks, snapshots): read/written one at a time.

Hashes are hex digests in the backend's `hash_algo` (the local backend computes sha256;
Fast.io reports md5), so the planner compares like with like.
"""

from __future__ import annotations

import hashlib
import os
import socket
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agentci.errors import AgentciError


@dataclass(frozen=True)
class AreaRef:
    key: str  # stable name: "agents/support-bot", "knowledge", "policies"
    path: str  # where it is live in the workspace: "agents/support-bot", ".agentci/policies"


@dataclass
class Lease:
    """A held workspace lock. `token` proves ownership to heartbeat and release."""

    name: str
    owner: str
    token: str
    expires_at: float
    extra: dict[str, Any] = field(default_factory=dict)


class BackendError(AgentciError):
    """A backend operation failed after its retries; the deploy stops and the old release stays live."""

    exit_code = 1


class Backend(ABC):
    name: ClassVar[str] = ""
    hash_algo: ClassVar[str] = "sha256"
    #: whether uploaded files are indexed (then apply waits for `index_pending` to drain)
    indexes: ClassVar[bool] = False
    #: how many old releases per area a deploy keeps (None: the deploy's default)
    keep_releases: ClassVar[int | None] = None

    def digest(self, data: bytes) -> str:
        return hashlib.new(self.hash_algo, data).hexdigest()

    @abstractmethod
    def describe(self) -> str:
        """Where the workspace is, for messages and the status file (never a secret)."""

    # -- plain files -------------------------------------------------------------------
    @abstractmethod
    def read(self, path: str) -> bytes | None: ...

    @abstractmethod
    def write(self, path: str, data: bytes) -> None:
        """Replace a file atomically (a reader sees the old or the new bytes)."""

    @abstractmethod
    def append(self, path: str, data: bytes) -> None: ...

    @abstractmethod
    def delete(self, path: str) -> None: ...

    def exists(self, path: str) -> bool:
        return self.read(path) is not None

    # -- releases ----------------------------------------------------------------------
    @abstractmethod
    def live_files(self, area: AreaRef) -> dict[str, str] | None:
        """Hashes of the files a reader sees at the area's path now; None when nothing is there."""

    @abstractmethod
    def live_release(self, area: AreaRef) -> str | None:
        """The release id live at the area's path (None: nothing, or files not put there by agentci)."""

    @abstractmethod
    def release_files(self, area: AreaRef, release: str) -> dict[str, str] | None:
        """Hashes of a staged release's files; None when that release does not exist (complete)."""

    @abstractmethod
    def stage_release(
        self, area: AreaRef, release: str, send: dict[str, bytes], keep: list[str], base: str | None
    ) -> None:
        """Build release `release`: the bytes in `send` plus the `keep` files copied from release
        `base` without re-sending them. Must leave no partial release behind under that id."""

    @abstractmethod
    def swap_release(self, area: AreaRef, release: str | None) -> None:
        """Make `release` live at the area's path in one step (None: remove the area)."""

    @abstractmethod
    def list_releases(self, area: AreaRef) -> list[str]: ...

    @abstractmethod
    def delete_release(self, area: AreaRef, release: str) -> None: ...

    def sweep(self, area: AreaRef) -> None:
        """Remove leftovers of killed runs (half-built releases). Called under the lease."""
        return None

    def collect_garbage(self) -> None:
        """After old releases were deleted: drop storage no kept release uses. Called under the lease."""
        return None

    @abstractmethod
    def live_areas(self, prefix: str) -> list[str]:
        """Names directly under `prefix` ("agents") that are live areas."""

    # -- lease lock --------------------------------------------------------------------
    @abstractmethod
    def lock_acquire(self, name: str, owner: str, ttl: float) -> Lease | None:
        """Take the lock if free or expired; None when someone else holds a live lease."""

    @abstractmethod
    def lock_heartbeat(self, lease: Lease, ttl: float) -> bool:
        """Extend the lease; False when it was lost (expired and taken over)."""

    @abstractmethod
    def lock_release(self, lease: Lease) -> None: ...

    @abstractmethod
    def lock_holder(self, name: str) -> dict[str, Any] | None:
        """Who holds the lock and until when (for a clear 'waiting for' message)."""

    # -- indexing ----------------------------------------------------------------------
    def index_pending(self, area: AreaRef, paths: list[str]) -> list[str]:
        """Paths of the live area not yet indexed; empty when the backend does not index."""
        return []

    def index_failed(self, area: AreaRef, paths: list[str]) -> list[str]:
        """Paths whose indexing ended in failure (not indexed, and not waited for)."""
        return []

    def wait_for_change(self, seconds: float) -> None:
        """Block until the workspace reports activity or `seconds` pass (default: just sleep)."""
        import time

        time.sleep(seconds)

    def close(self) -> None:  # optional hook: most backends hold nothing open
        return None


# -- who holds a lock, and whether that process still lives -----------------------------


def boot_id() -> str | None:
    """This machine's boot id: a pid names a process only within one boot."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def identity() -> dict[str, object]:
    """What a lease records about its holder, so a run on the same host can tell it died."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "boot_id": boot_id()}


def holder_dead(held: dict[str, object]) -> bool:
    """True only when the holder ran on this host in this boot and its pid is gone. Any
    doubt (another host, no boot id, a pid we may not signal) means alive: the TTL stands."""
    pid, host, boot = held.get("pid"), held.get("host"), held.get("boot_id")
    if (
        not isinstance(pid, int)
        or pid <= 0
        or host != socket.gethostname()
        or not boot
        or boot != boot_id()
    ):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: it exists under another user
        return False
    return False
