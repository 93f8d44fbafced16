"""The `fastio` backend: a Fast.io workspace, spoken to as Fast.io's official CLI speaks it.

Reference: MediaFire/fastio_cli (`src/client.rs`, `src/api/{storage,upload,locking,workspace,
event}.rs`, `src/bin/fastio/commands/{upload,lock,files}.rs`) and MediaFire/fastio-skills
`references/REFERENCE.md`; each module cites the lines it follows.
  client.py   HTTP, the result/response envelope, rate limits, safe retries
  storage.py  nodes by path, paginated listings, replace-in-place writes, move/copy/trash
  upload.py   one-request uploads and chunked upload sessions
  lease.py    the deploy lease (claim files under Fast.io file locks)

Layout in the workspace:
- agent areas (`agents/<name>`, `.agentci/policies`) are swapped as releases: a release is built
  under `.agentci/releases/<key>/.tmp-*`, renamed to its id when complete, and made live by two
  moves (the live folder out to its release slot, the new one in). Fast.io has no rename-over, so
  between the two moves the area is missing; the swap waits for the rate-limit window first so
  the moves run back to back (the "swap window", see the README);
- `knowledge` is updated in place, file by file: each file is replaced as a new version of the
  same node (a reader sees its old or new bytes), unchanged files are not touched, so Intelligence
  re-indexes only what changed (a whole-area swap would re-ingest every file, 10 credits a page);
- bookkeeping (`.agentci/state.json`, memory snapshots, locks, `deployment.log`) can live in a
  second workspace (`fastio.state_workspace_id`, Intelligence off) so the agents' RAG never
  retrieves it; old releases are purged after each deploy when Intelligence is on.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import secrets
from typing import Any

from agentci.deploy.backends.base import AreaRef, Backend, BackendError, Lease
from agentci.deploy.backends.fastio.client import Client, FastioError, Transient
from agentci.deploy.backends.fastio.lease import Leases
from agentci.deploy.backends.fastio.storage import Storage, norm
from agentci.deploy.backends.fastio.upload import CHUNK_SIZE, Uploader
from agentci.errors import AgentciError

__all__ = ["FastioBackend", "FastioError", "Transient"]

DEFAULT_URL = "https://api.fast.io/current/"
RELEASES = ".agentci/releases"
IN_PLACE = ("knowledge",)
TOKEN_ENVS = (
    "FASTIO_API_KEY",
    "FASTIO_TOKEN",
)  # the CLI's and docs' name first; the old name kept as an alias
#: `ai.state` values (REFERENCE:1529-1533 `disabled → pending → inprogress → ready (or failed)`;
#: REFERENCE:569-577 spells `in_progress`; SKILL.md says `indexed`). Done and indexed:
INDEXED = ("ready", "indexed")
NOT_INDEXED = ("failed", "disabled")  # final, and not indexed: `failed` is never counted as indexed


class FastioBackend(Backend):
    name = "fastio"
    hash_algo = "md5"  # the node `hash_algo` the docs show (docs.fast.io/storage.html node schema)

    def __init__(
        self,
        workspace_id: str,
        token: str,
        base_url: str = DEFAULT_URL,
        timeout: float = 30.0,
        retries: int = 4,
        *,
        state_workspace_id: str | None = None,
        chunk_size: int = CHUNK_SIZE,
        rate_limit_max_wait: float = 120.0,
        upload_timeout: float = 300.0,
        page_size: int = 500,
    ) -> None:
        self.workspace_id = workspace_id
        self.client = Client(
            base_url, token, timeout=timeout, retries=retries, max_wait=rate_limit_max_wait
        )
        self.uploader = Uploader(
            self.client, workspace_id, chunk_size=chunk_size, timeout=upload_timeout
        )
        self.live = Storage(self.client, workspace_id, self.uploader, page_size)
        if state_workspace_id and state_workspace_id != workspace_id:
            books_up = Uploader(
                self.client, state_workspace_id, chunk_size=chunk_size, timeout=upload_timeout
            )
            self.books, self._books_prefix = (
                Storage(self.client, state_workspace_id, books_up, page_size),
                f"agentci-{workspace_id}/",
            )
        else:
            self.books, self._books_prefix = self.live, ""
        self.leases = Leases(self.books)
        self._intel: bool | None = None
        self._activity: str | None = ""  # None: the activity poll is not there, just sleep

    @classmethod
    def from_config(cls, options: dict[str, Any]) -> FastioBackend:
        ws = options.get("workspace_id")
        if not ws:
            raise AgentciError(
                "agentci.yaml workspace.fastio.workspace_id is not set",
                hint="workspace: {backend: fastio, fastio: {workspace_id: '…'}} and export FASTIO_API_KEY",
            )
        envs = (str(options["token_env"]),) if options.get("token_env") else TOKEN_ENVS
        token = next((os.environ[e] for e in envs if os.environ.get(e)), "")
        if not token:
            raise AgentciError(
                f"the fastio backend needs an API key: {' or '.join(envs)} is not set",
                hint=f"export {envs[0]}=… (in Actions: env: {envs[0]}: ${{{{ secrets.{envs[0]} }}}})",
            )

        def num(key: str, default: float, low: float, high: float) -> float:
            value = options.get(key, default)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            return float(min(high, max(low, value if ok else default)))

        page = int(num("page_size", 500, 100, 500))
        return cls(
            str(ws),
            token,
            str(options.get("base_url") or DEFAULT_URL),
            num("timeout", 30, 1, 600),
            int(num("retries", 4, 0, 20)),
            state_workspace_id=str(options.get("state_workspace_id") or "") or None,
            chunk_size=int(num("chunk_size", CHUNK_SIZE, 256 * 1024, 64 * 1024 * 1024)),
            rate_limit_max_wait=num("rate_limit_max_wait", 120, 0, 3600),
            upload_timeout=num("upload_timeout", 300, 1, 7200),
            page_size=page
            if page in (100, 250, 500)
            else 500,  # the accepted sizes (files.rs:312-320)
        )

    def describe(self) -> str:
        return f"fastio workspace {self.workspace_id}"

    def close(self) -> None:
        self.client.close()

    @property
    def indexes(self) -> bool:  # type: ignore[override]
        """The workspace `intelligence` flag (GET workspace/{id}/details/, workspace.rs:96-104)."""
        if self._intel is None:
            data = self.client.call(
                "GET", f"workspace/{self.workspace_id}/details/", kind="workspace"
            )
            ws = data.get("workspace") if isinstance(data.get("workspace"), dict) else data
            self._intel = ws.get("intelligence") in (True, "true", "yes", 1)
        return self._intel

    @property
    def keep_releases(self) -> int | None:  # type: ignore[override]
        """With Intelligence on, old releases would be ingested and retrievable: keep none."""
        return 0 if self.indexes else None

    # -- plain files (bookkeeping may live in the state workspace) ----------------------
    def _where(self, path: str) -> tuple[Storage, str]:
        path = norm(path)
        bookkeeping = path == "deployment.log" or (
            path.startswith(".agentci/") and not path.startswith((".agentci/policies", RELEASES))
        )
        if bookkeeping and self._books_prefix:
            return self.books, self._books_prefix + path
        return self.live, path

    def read(self, path: str) -> bytes | None:
        st, path = self._where(path)
        node = st.node(path)
        if node is None:
            return None
        try:
            return st.read(node)
        except FastioError as exc:
            if exc.status != 404:
                raise
        st.forget(path)  # the cached node is gone (replaced by hand?): look the path up again
        node = st.node(path)
        return None if node is None else st.read(node)

    def write(self, path: str, data: bytes) -> None:
        st, path = self._where(path)
        parent, name = posixpath.split(path)
        folder = st.node(parent, create=True)
        assert folder is not None
        st.put(folder, name, data)

    def append(self, path: str, data: bytes) -> None:
        # Fast.io has no append: read, then replace in place (one node, a new version). Only the
        # lease holder appends, so no line is lost to a concurrent writer.
        self.write(path, (self.read(path) or b"") + data)

    def delete(self, path: str) -> None:
        st, path = self._where(path)
        node = st.node(path)
        if node is not None:
            st.trash(node)
            st.forget(path)

    def exists(self, path: str) -> bool:
        st, path = self._where(path)
        st.forget(path)  # polled for busy locks and pause signals: never answer from the cache
        return st.node(path) is not None

    # -- areas -------------------------------------------------------------------------
    def _hashes(self, node: str | None) -> dict[str, str] | None:
        if node is None:
            return None
        return {p: _md5(n) for p, n in self.live.tree(node).items()}

    def live_files(self, area: AreaRef) -> dict[str, str] | None:
        return self._hashes(self.live.node(area.path))

    def live_release(self, area: AreaRef) -> str | None:
        files = self.live_files(area)
        if files is None:
            return None
        h = hashlib.sha256()
        for path, digest in sorted(files.items()):
            h.update(f"{path}\0{digest}\n".encode())
        return h.hexdigest()[:16]  # the content address desired.Area.release_id computes

    def _slot(self, area: AreaRef, release: str) -> str:
        return f"{RELEASES}/{area.key}/{release}/{posixpath.basename(area.path)}"

    def release_files(self, area: AreaRef, release: str) -> dict[str, str] | None:
        if area.key in IN_PLACE:
            return self.live_files(area) if self.live_release(area) == release else None
        return self._hashes(self.live.node(self._slot(area, release)))

    def stage_release(
        self, area: AreaRef, release: str, send: dict[str, bytes], keep: list[str], base: str | None
    ) -> None:
        if area.key in IN_PLACE:
            self._update_in_place(area, send, keep)
            return
        st = self.live
        slots = st.node(f"{RELEASES}/{area.key}", create=True)
        assert slots is not None
        tmp_name = f".tmp-{release}-{secrets.token_hex(3)}"
        tmp = st.mkdir(slots, tmp_name)
        top = st.mkdir(tmp, posixpath.basename(area.path))
        st.forget(f"{RELEASES}/{area.key}")
        live = st.tree(st.node(area.path) or "") if keep and st.node(area.path) else {}
        folders: dict[str, str] = {"": top}

        def folder(rel_dir: str) -> str:
            if rel_dir not in folders:
                parent, name = posixpath.split(rel_dir)
                folders[rel_dir] = st.mkdir(folder(parent), name)
            return folders[rel_dir]

        for rel in keep:  # copied server-side from the live release: not re-sent
            st.copy(str(live[rel]["id"]), folder(posixpath.dirname(rel)), posixpath.basename(rel))
        for rel, data in send.items():  # into a new folder: nothing there to replace
            st.put(folder(posixpath.dirname(rel)), posixpath.basename(rel), data, absent=True)
        for old in st.children(
            slots, release
        ):  # a stale release of that id (hand-edited): replaced
            st.trash(str(old["id"]))
        st.rename(tmp, release)  # complete: only now does it carry the release id
        st.forget(f"{RELEASES}/{area.key}")

    def _update_in_place(self, area: AreaRef, send: dict[str, bytes], keep: list[str]) -> None:
        st = self.live
        top = st.node(area.path, create=True)
        assert top is not None
        live = st.tree(top)
        for rel, data in send.items():
            parent = st.node(posixpath.dirname(f"{area.path}/{rel}"), create=True)
            assert parent is not None
            st.put(
                parent, posixpath.basename(rel), data, known=live.get(rel), absent=rel not in live
            )
        for rel in set(live) - set(send) - set(keep):
            st.trash(str(live[rel]["id"]))

    def swap_release(self, area: AreaRef, release: str | None) -> None:
        st = self.live
        if area.key in IN_PLACE:
            if release is None:
                self.delete(area.path)
            elif self.live_release(area) != release:
                raise BackendError(
                    f"{area.key} is updated in place on Fast.io; release {release} is not live"
                )
            return
        parent = st.node(posixpath.dirname(area.path), create=True)
        assert parent is not None
        current = st.node(area.path)
        new = st.node(self._slot(area, release)) if release else None
        if release and new is None:
            raise BackendError(f"release {release} of {area.key} is not staged")
        self.client.reserve(4)  # the swap's requests run back to back, not across a 429 wait
        if current is not None:
            old = self.live_release(area) or "unknown"
            slot = st.node(posixpath.dirname(self._slot(area, old)), create=True)
            assert slot is not None
            for twin in st.children(slot, posixpath.basename(area.path)):
                st.trash(str(twin["id"]))
            st.move(current, slot)
            st.forget(area.path)
            st.forget(f"{RELEASES}/{area.key}/{old}")
        if new is not None:
            st.move(new, parent)
            st.forget(f"{RELEASES}/{area.key}/{release}")

    def list_releases(self, area: AreaRef) -> list[str]:
        node = self.live.node(f"{RELEASES}/{area.key}")
        if node is None:
            return []
        return sorted(
            str(n["name"])
            for n in self.live.listing(node)
            if n.get("type") == "folder" and not str(n.get("name", "")).startswith(".")
        )

    def delete_release(self, area: AreaRef, release: str) -> None:
        node = self.live.node(f"{RELEASES}/{area.key}/{release}")
        if node is None:
            return
        if self.indexes:
            self.live.purge(node)  # out of the trash too: nothing of it stays to be retrieved
        else:
            self.live.trash(node)  # in the trash, restorable by hand
        self.live.forget(f"{RELEASES}/{area.key}/{release}")

    def sweep(self, area: AreaRef) -> None:
        node = self.live.node(f"{RELEASES}/{area.key}")
        for n in self.live.listing(node) if node else []:
            # half-built by a killed run (we hold the lease)
            if str(n.get("name", "")).startswith(".tmp-"):
                (self.live.purge if self.indexes else self.live.trash)(str(n["id"]))

    def live_areas(self, prefix: str) -> list[str]:
        node = self.live.node(prefix)
        return (
            sorted(str(n["name"]) for n in self.live.listing(node) if n.get("type") == "folder")
            if node
            else []
        )

    # -- the lease ---------------------------------------------------------------------
    def _lock_name(self, name: str) -> str:
        return f"{self._books_prefix}{name}" if self._books_prefix else name

    def lock_acquire(self, name: str, owner: str, ttl: float) -> Lease | None:
        return self.leases.acquire(self._lock_name(name), owner, ttl)

    def lock_heartbeat(self, lease: Lease, ttl: float) -> bool:
        return self.leases.heartbeat(lease, ttl)

    def lock_release(self, lease: Lease) -> None:
        self.leases.release(lease)

    def lock_holder(self, name: str) -> dict[str, Any] | None:
        return self.leases.holder(self._lock_name(name))

    # -- indexing ----------------------------------------------------------------------
    def _ai_states(self, area: AreaRef, paths: list[str]) -> dict[str, str]:
        node = self.live.node(area.path)
        if node is None or not self.indexes:
            return {}
        tree = self.live.tree(node)
        return {
            p: str(((tree.get(p) or {}).get("ai") or {}).get("state", "")).lower()
            for p in paths
            if p in tree
        }

    def index_pending(self, area: AreaRef, paths: list[str]) -> list[str]:
        # Anything not final (pending, inprogress, in_progress, or a state we do not know) is waited
        # for, within index_timeout.
        return [
            p for p, s in self._ai_states(area, paths).items() if s not in INDEXED + NOT_INDEXED
        ]

    def index_failed(self, area: AreaRef, paths: list[str]) -> list[str]:
        return [p for p, s in self._ai_states(area, paths).items() if s == "failed"]

    def wait_for_change(self, seconds: float) -> None:
        """GET activity/poll/{workspace}/?wait=S&lastactivity=T (event.rs:136-165, REFERENCE:1327-1342)."""
        import time

        if self._activity is None or seconds < 1:
            time.sleep(seconds)
            return
        params = {"wait": str(int(seconds))}
        if self._activity:
            params["lastactivity"] = self._activity
        try:
            data = self.client.call(
                "GET",
                f"activity/poll/{self.workspace_id}/",
                kind="activity",
                params=params,
                timeout=seconds + 10,
            )
        except FastioError as exc:
            if exc.status == 404:
                self._activity = None
            time.sleep(seconds)
            return
        self._activity = str(data.get("lastactivity") or self._activity)


def _md5(node: dict[str, Any]) -> str:
    # A hash in another algorithm (or none yet) cannot be compared: it reads as changed, so the
    # file is re-sent rather than wrongly kept.
    if str(node.get("hash_algo") or "md5").lower() != "md5":
        return ""
    return str(node.get("hash") or "")
