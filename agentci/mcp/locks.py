"""acquire_lock / release_lock / lock_status: lock files in the format deploy honours.

A lock is a file at the path the agent names, holding `agentci.deploy.lock.agent_lock_record`
(`{"owner": <agent>, "acquired_at", "expires_at", "pid", "host", "via": "agentci mcp"}`).
So when an agent takes the lock at its manifest's `lock.path` (deploy grants it write there),
`agentci deploy` sees the agent busy and applies `lock.on_busy`; when the holder stops renewing,
the lock expires and both deploy and other agents treat it as free. A file at the path that is
not such a record (an agent's hand-made lock) is held by "unknown" and never expires, as
deploy has always read it.

Check-and-set happens under flock(2) on `.agentci/locks/agent-locks.guard`, which the kernel
releases when a server dies, so two agents' servers never both win a lock. Taking a lock needs
write access to its path; reading its status needs read access.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from agentci.deploy.lock import agent_lock_holder, agent_lock_record
from agentci.files import flocked
from agentci.mcp.paths import Refused
from agentci.mcp.spec import DEFAULT_LOCK_TTL, Failed, Limits, Outcome

if TYPE_CHECKING:
    from agentci.mcp.access import Policy

GUARD = ".agentci/locks/agent-locks.guard"
MAX_LOCK_BYTES = 64 << 10


class Files(Protocol):
    """What the lock tools need from the file tools (`agentci.mcp.tools.AgentTools`)."""

    root: Path
    agent: str
    limits: Limits

    def target(
        self, policy: Policy, op: str, raw: object, *, respect_locks: bool = True
    ) -> tuple[str, Path]: ...

    def read_bytes(self, real: Path, path: str, limit: int) -> bytes | None: ...

    def replace(self, real: Path, data: bytes) -> None: ...


class LockTools:
    def __init__(self, tools: Files) -> None:
        self.tools = tools

    def _guard(self) -> contextlib.AbstractContextManager[None]:
        guard = self.tools.root / GUARD
        guard.parent.mkdir(parents=True, exist_ok=True)
        return flocked(guard)

    def _holder(self, real: Path, path: str) -> dict[str, Any] | None:
        return agent_lock_holder(self.tools.read_bytes(real, path, MAX_LOCK_BYTES))

    def check_not_held(self, path: str, real: Path) -> None:
        """Refuse a write/delete/move of a live lock file another agent holds through this server."""
        try:
            if os.lstat(real).st_size > MAX_LOCK_BYTES:
                return
            holder = agent_lock_holder(real.read_bytes())
        except (OSError, ValueError):
            return
        if holder and holder.get("via") == "agentci mcp" and holder["owner"] != self.tools.agent:
            raise Refused(
                "lock-held",
                path,
                f"a lock held by {holder['owner']} (release_lock by its holder, or expiry, frees it)",
            )

    def acquire(self, policy: Policy, args: dict[str, Any]) -> Outcome:
        ttl = args.get("ttl_seconds", DEFAULT_LOCK_TTL)
        top = self.tools.limits.max_lock_ttl
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 1 <= ttl <= top:
            raise Failed(f"`ttl_seconds` must be a number from 1 to {top:g}")
        path, real = self.tools.target(policy, "write", args.get("path"), respect_locks=False)
        me = self.tools.agent
        with self._guard():
            held = self._holder(real, path)
            if held and held["owner"] != me:
                raise Failed(
                    _busy_text(path, held), "busy", {"acquired": False, **_public(path, held)}
                )
            since = held.get("acquired_at") if held else None
            record = agent_lock_record(
                me, float(ttl), acquired_at=since if isinstance(since, (int, float)) else None
            )
            self.tools.replace(real, (json.dumps(record) + "\n").encode())
        verb = "renewed" if held else "acquired"
        return Outcome(
            f"{verb} {path} until {_iso(record['expires_at'])} ({float(ttl):g}s)",
            {"acquired": True, "renewed": bool(held), **_public(path, record)},
        )

    def release(self, policy: Policy, args: dict[str, Any]) -> Outcome:
        path, real = self.tools.target(policy, "write", args.get("path"), respect_locks=False)
        with self._guard():
            held = self._holder(real, path)
            if held is None:
                with contextlib.suppress(FileNotFoundError):
                    if real.exists():  # an expired record: tidy it away
                        real.unlink()
                return Outcome(
                    f"{path} was not held", {"released": False, "held": False, "path": path}
                )
            if held["owner"] != self.tools.agent:
                raise Failed(
                    _busy_text(path, held), "busy", {"released": False, **_public(path, held)}
                )
            real.unlink()
        return Outcome(f"released {path}", {"released": True, "path": path})

    def status(self, policy: Policy, args: dict[str, Any]) -> Outcome:
        path, real = self.tools.target(policy, "read", args.get("path"))
        held = self._holder(real, path)
        if held is None:
            return Outcome(f"{path} is free", {"held": False, "path": path})
        return Outcome(_busy_text(path, held, ""), {"held": True, **_public(path, held)})


def _public(path: str, held: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"path": path, "owner": held.get("owner", "unknown")}
    expires = held.get("expires_at")
    if isinstance(expires, (int, float)) and not isinstance(expires, bool):
        out.update(expires_at=_iso(expires), expires_in=round(max(0.0, expires - time.time()), 1))
    else:
        out.update(expires_at=None, expires_in=None)
    return out


def _busy_text(path: str, held: dict[str, Any], then: str = "; try again later") -> str:
    info = _public(path, held)
    until = (
        f" until {info['expires_at']} ({info['expires_in']:g}s left)"
        if info["expires_at"]
        else " (no expiry)"
    )
    return f"{path} is held by {info['owner']}{until}{then}"


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
