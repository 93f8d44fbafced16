"""Locks: one deploy per workspace (a lease with expiry + heartbeat), and the agent's busy lock.

The workspace lease is renewed by a heartbeat thread every ttl/3. A holder that dies
stops renewing; another run takes the lease over once it has expired, never before.
If the heartbeat finds the lease lost, `lost` is set and the deploy stops before its
next swap rather than race the new holder.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from agentci import bounds, origin
from agentci.deploy.backends.base import Backend, Lease
from agentci.deploy.desired import workspace_path
from agentci.errors import AgentciError
from agentci.repo import LockSpec

DEPLOY_LOCK = "deploy"


def who() -> str:
    actor = origin.current().actor
    if actor:
        return actor
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _bounded_wait(seconds: float) -> float:
    """A wait cut to what is left of the run's --deadline."""
    left = bounds.run_remaining()
    return seconds if left is None else max(0.0, min(seconds, left))


class WorkspaceLease:
    def __init__(
        self,
        backend: Backend,
        ttl: float,
        wait: float,
        log: Callable[[str], None] = lambda s: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.backend, self.ttl, self.wait, self.log, self.sleep = backend, ttl, wait, log, sleep
        self.lease: Lease | None = None
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WorkspaceLease:
        try:
            return self._enter()
        except BaseException:
            # Ctrl-C after the lease was taken but before `with` got it: without this the
            # lease would block the next deploy until it expired (lock_ttl, 120 s by default).
            self.__exit__(None, None, None)
            raise

    def _acquire(self, owner: str) -> Lease | None:
        """One acquire attempt; a first Ctrl-C waits until the lease is in hand, so it can be released."""
        if threading.current_thread() is not threading.main_thread():
            return self.backend.lock_acquire(DEPLOY_LOCK, owner, self.ttl)
        pending: list[int] = []

        def defer(signum: int, frame: object) -> None:
            if pending:  # a second Ctrl-C: the user means it
                raise KeyboardInterrupt
            pending.append(signum)

        previous = signal.signal(signal.SIGINT, defer)
        try:
            self.lease = self.backend.lock_acquire(DEPLOY_LOCK, owner, self.ttl)
        finally:
            signal.signal(signal.SIGINT, previous)
        if pending:
            raise KeyboardInterrupt
        return self.lease

    def _enter(self) -> WorkspaceLease:
        wait = _bounded_wait(self.wait)
        deadline = time.monotonic() + wait
        owner = f"{who()} pid {os.getpid()}"
        announced = False
        while True:
            try:
                self.lease = self._acquire(owner)
                holder = {} if self.lease else self.backend.lock_holder(DEPLOY_LOCK) or {}
            except OSError as exc:  # a full disk, a read-only workspace: say so, touch nothing
                raise AgentciError(
                    f"cannot take the workspace lock in {self.backend.describe()}: "
                    f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""),
                    hint="the workspace must be writable and its disk must have room; "
                    "nothing was deployed",
                    exit_code=1,
                ) from None
            if self.lease:
                stale = self.lease.extra.get("took_over")
                if isinstance(stale, dict) and stale.get("owner"):
                    if self.lease.extra.get("holder_dead"):
                        self.log(
                            f"took over the workspace lock of {stale['owner']}: its process "
                            f"(pid {stale.get('pid')}) is gone from this host"
                        )
                    else:
                        self.log(
                            f"took over the expired workspace lock of {stale['owner']} (that run stopped renewing it)"
                        )
                break
            if time.monotonic() >= deadline:
                raise AgentciError(
                    f"another deploy holds the workspace lock ({holder.get('owner', 'unknown')}); gave up after "
                    + (
                        f"{self.wait:g}s"
                        if wait == self.wait
                        else f"{wait:.1f}s: {bounds.run_deadline_reason()}"
                    ),
                    hint="wait for it to finish; a lock from a run that died is taken over when it expires "
                    "(workspace.lock_ttl in agentci.yaml)",
                    exit_code=1,
                )
            if not announced:
                left = max(0.0, float(holder.get("expires_at", 0)) - time.time())
                self.log(
                    f"waiting for the workspace lock held by {holder.get('owner', 'unknown')} "
                    f"(lease expires in {left:.0f}s unless renewed)"
                )
                announced = True
            self.sleep(min(0.2, max(0.01, self.ttl / 10)))
        thread = threading.Thread(target=self._beat, name="agentci-lease", daemon=True)
        thread.start()
        self._thread = thread  # only a started thread: __exit__ joins it
        return self

    def _beat(self) -> None:
        assert self.lease is not None
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self.backend.lock_heartbeat(self.lease, self.ttl):
                    self.lost.set()
                    return
            except Exception:
                # A failed heartbeat is retried on the next beat; the lease outlives two misses.
                continue

    def check(self) -> None:
        if bounds.run_expired():
            raise AgentciError(
                f"deploy stopped: {bounds.run_deadline_reason()}",
                hint="the agents swapped so far are live; the others keep their old release. "
                "Re-run the deploy (or raise --deadline) to finish",
                exit_code=1,
            )
        if self.lost.is_set():
            raise AgentciError(
                "the workspace lock was lost (heartbeat failed past expiry); stopping before the next swap",
                hint="re-run the deploy; the live releases are whole",
                exit_code=1,
            )

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self.lease and not self.lost.is_set():
            with contextlib.suppress(Exception):  # a lease we fail to release expires on its own
                self.backend.lock_release(self.lease)


def agent_lock_record(
    owner: str, ttl: float, *, acquired_at: float | None = None
) -> dict[str, Any]:
    """The JSON an agent's busy lock file holds when `agentci mcp`'s acquire_lock writes it.

    Any file at `lock.path` means busy (an agent may create it by hand, with any content);
    a JSON object with a numeric `expires_at` in the past means a holder that died: free.
    """
    now = time.time()
    return {
        "owner": owner,
        "acquired_at": acquired_at or now,
        "expires_at": now + ttl,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "via": "agentci mcp",
    }


def agent_lock_holder(raw: bytes | None, now: float | None = None) -> dict[str, Any] | None:
    """Who holds the busy lock whose file holds `raw` (None: no file, or an expired record)."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return {"owner": "unknown"}
    if not isinstance(data, dict):
        return {"owner": "unknown"}
    expires = data.get("expires_at")
    live_until = (
        expires if isinstance(expires, (int, float)) and not isinstance(expires, bool) else None
    )
    if live_until is not None and live_until <= (time.time() if now is None else now):
        return None
    owner = data.get("owner")
    return {**data, "owner": owner if isinstance(owner, str) else "unknown"}


def agent_busy(backend: Backend, path: str) -> bool:
    return agent_lock_holder(backend.read(path)) is not None


def wait_agent_free(
    backend: Backend,
    agent: str,
    spec: LockSpec,
    commit: str | None,
    log: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Honour the agent's busy lock (`lock.path`). Returns the pause-signal path to remove
    afterwards (on_busy: pause), or None. Raises when the agent stays busy."""
    path = workspace_path(spec.path)
    if not agent_busy(backend, path):
        return None
    if spec.on_busy == "fail":
        raise AgentciError(
            f"agent {agent!r} is busy ({spec.path} exists) and lock.on_busy is fail",
            hint="retry when the agent is idle, or set lock.on_busy: wait",
            exit_code=1,
        )
    pause = None
    if spec.on_busy == "pause":
        pause = path + ".pause"
        backend.write(
            pause,
            (
                json.dumps(
                    {
                        "requested_by": who(),
                        "commit": commit,
                        "reason": "deploy",
                        "time": time.time(),
                    }
                )
                + "\n"
            ).encode(),
        )
        log(f"{agent}: busy; wrote pause signal {pause}, waiting for {spec.path} to be released")
    else:
        log(f"{agent}: busy ({spec.path}); waiting up to {spec.timeout:g}s")
    deadline = time.monotonic() + _bounded_wait(spec.timeout)
    delay = 0.05
    while agent_busy(backend, path):
        if time.monotonic() >= deadline:
            if pause:
                backend.delete(pause)
            raise AgentciError(
                f"agent {agent!r} still busy after {spec.timeout:g}s ({spec.path})",
                hint="raise lock.timeout, or use on_busy: pause so the agent is asked to stop",
                exit_code=1,
            )
        sleep(delay)
        delay = min(delay * 2, 5.0, max(0.05, deadline - time.monotonic()))
    return pause
