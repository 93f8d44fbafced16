"""The deploy lease on Fast.io: one claim file per run, each under its own Fast.io file lock.

Fast.io locks are held by the acquiring *user* (docs.fast.io file-locks guide), and neither the
CLI nor the docs say what a second acquire by the same user returns. Two CI runs with the same
API key are the same user, so a lock on one shared node cannot tell them apart. Instead:

1. each run uploads its own claim file `.agentci/locks/<name>/<nonce>.claim` (a new node no one
   else ever touches) and takes a Fast.io lock on it: POST storage/{node}/lock/ with `duration`
   60-3600 s (storage.rs:886-925, locking.rs:13-35). Nobody else asks for that node, so the grant
   means nothing about the same-user question: it is the claim's expiry, kept by the server's clock;
2. it then lists the claims folder. A claim counts as live while its node is locked (the node's
   `locked` flag, or GET storage/{node}/lock/, locking.rs:37-53). If any *other* live claim is
   there, the run gives up its own claim (lock released, node deleted) and waits.

Why two runs can never both hold it: if run A's listing did not show B's live claim, B locked its
claim after A's listing, hence after A locked its own; B's listing then shows A's claim locked and
B backs off. If both see each other, both back off and retry after a random pause. This needs only
that a listing shows every lock taken before it, whatever Fast.io does on a same-user re-acquire.

The heartbeat is POST storage/{node}/lock/heartbeat/ and the release DELETE storage/{node}/lock/,
both with `lock_token` as a *form field* (locking.rs:55-101, storage.rs:940-960), never the query
string. A run that dies stops heartbeating: its lock expires (at least 60 s later) and its claim
stops counting.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from typing import Any

from agentci.deploy.backends.base import Lease
from agentci.deploy.backends.fastio.client import FastioError
from agentci.deploy.backends.fastio.storage import Storage

MIN_DURATION, MAX_DURATION = 60, 3600  # locking.rs:15-16
LOCKS = ".agentci/locks"
BUSY_PAUSE = 1.0


def duration(ttl: float) -> int:
    return int(min(MAX_DURATION, max(MIN_DURATION, round(ttl))))


class Leases:
    def __init__(self, storage: Storage) -> None:
        self.st = storage
        self._holder: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def _folder(self, name: str) -> str:
        node = self.st.node(f"{LOCKS}/{name}", create=True)
        assert node is not None
        return node

    def _locked(self, node: dict[str, Any]) -> bool:
        if isinstance(node.get("locked"), bool):
            return bool(node["locked"])
        return self.status(str(node["id"])) is not None

    def status(self, node: str) -> dict[str, Any] | None:
        """GET storage/{node}/lock/ (locking.rs:37-53): the lock when there is one, else None.
        The answer's shape is not pinned: `locked`, or a `lock`/`lock_info` object, are read."""
        try:
            answer = self.st.client.call("GET", self.st.s(node, "lock"), kind="lock-status")
        except FastioError as exc:
            if exc.status == 404:
                return None
            raise
        info = answer.get("lock") or answer.get("lock_info")
        locked = answer.get("locked")
        if locked is False or (locked is None and not isinstance(info, dict)):
            return None
        return info if isinstance(info, dict) else dict(answer)

    def acquire(self, name: str, owner: str, ttl: float) -> Lease | None:
        folder = self._folder(name)
        if any(self._locked(n) for n in self.st.listing(folder)):
            # Held: one listing, then a pause, so a run waiting for the lease costs ~1 request/s
            # rather than the claim protocol's six every loop.
            time.sleep(BUSY_PAUSE)
            return None
        nonce = secrets.token_hex(8)
        claim_name = f"{nonce}.claim"
        body = json.dumps({"owner": owner, "nonce": nonce, "started": time.time()}).encode()
        claim = self.st.put(
            folder, claim_name, body, absent=True
        )  # a fresh nonce: no node of that name
        try:
            answer = self.st.client.call(
                "POST", self.st.s(claim, "lock"), kind="lock", data={"duration": str(duration(ttl))}
            )
        except FastioError as exc:
            self.st.trash(claim)
            if (
                exc.status == 404
            ):  # a winner swept our claim before we locked it: someone holds the lease
                return None
            raise
        token = _token(answer)
        if not token:
            self.st.trash(claim)
            raise FastioError("Fast.io granted a lock but its answer has no lock_token")
        lease = Lease(
            name, owner, token, time.time() + duration(ttl), {"node": claim, "folder": folder}
        )
        others = [n for n in self.st.listing(folder) if str(n.get("id")) != claim]
        live = [n for n in others if self._locked(n)]
        if live:
            self.release(lease)
            time.sleep(random.uniform(0, 0.3))  # both saw each other: break the tie by chance
            return None
        stale = [n for n in others if str(n.get("name", "")).endswith(".claim")]
        if stale:
            lease.extra["took_over"] = {"owner": self._owner(stale[0]) or "a run that stopped"}
            for n in stale:  # claims of runs that died: their locks expired
                self.st.trash(str(n["id"]))
        return lease

    def heartbeat(self, lease: Lease, ttl: float) -> bool:
        try:
            self.st.client.call(
                "POST",
                self.st.s(lease.extra["node"], "lock/heartbeat"),
                kind="lock-heartbeat",
                data={"lock_token": lease.token},
            )
        except FastioError:
            return False  # refused: the lock expired and is not ours any more
        lease.expires_at = time.time() + duration(ttl)
        return True

    def release(self, lease: Lease) -> None:
        try:
            self.st.client.call(
                "DELETE",
                self.st.s(lease.extra["node"], "lock"),
                kind="lock-release",
                data={"lock_token": lease.token},
            )
        except FastioError as exc:
            if exc.status != 404:  # 404: a winner already swept the claim, nothing left to release
                raise
        finally:
            self.st.trash(lease.extra["node"])

    def holder(self, name: str) -> dict[str, Any] | None:
        cached = self._holder.get(name)
        if (
            cached and time.monotonic() - cached[0] < 10
        ):  # asked on every wait loop: answer from memory
            return cached[1]
        found = self._find_holder(name)
        self._holder[name] = (time.monotonic(), found)
        return found

    def _find_holder(self, name: str) -> dict[str, Any] | None:
        folder = self.st.node(f"{LOCKS}/{name}")
        if folder is None:
            return None
        for n in self.st.listing(folder):
            info = (
                self.status(str(n["id"]))
                if not isinstance(n.get("locked"), bool) or n["locked"]
                else None
            )
            if info is not None:
                return {"owner": self._owner(n) or "another run", "expires_at": _expiry(info)}
        return None

    def _owner(self, node: dict[str, Any]) -> str | None:
        try:
            data = json.loads(self.st.read(str(node["id"])))
        except (FastioError, ValueError):
            return None
        return str(data.get("owner")) if isinstance(data, dict) and data.get("owner") else None


def _token(answer: dict[str, Any]) -> str | None:
    for holder in (answer, answer.get("lock"), answer.get("lock_info")):
        if isinstance(holder, dict) and holder.get("lock_token"):
            return str(holder["lock_token"])
    return None


def _expiry(info: dict[str, Any]) -> float:
    for key in ("expires", "expires_at", "expiry"):
        value = info.get(key)
        if isinstance(value, (int, float)):
            return float(value)
    return 0.0
