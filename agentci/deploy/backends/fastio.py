"""The `fastio` backend: a Fast.io workspace over its REST API (httpx, imported lazily).

From the public docs (docs.fast.io, api.fast.io/llms.txt): base URL
https://api.fast.io/current/, `Authorization: Bearer <token>`, form-encoded POST bodies,
JSON responses carrying `result`; storage nodes (`id`, `name`, `type`, `parent`, `hash`,
`hash_algo` = md5, `ai.state`, `locked`) listed with GET workspace/{id}/storage/{node}/list/
("root" is the root folder); DELETE .../storage/{node}/delete/ moves a node to the trash;
small files (< 4 MB) are uploaded in one multipart request that also adds them to
storage; file locks are leases on *file* nodes, released with `lock_token` in the query
string; the workspace `intelligence` flag (workspace/{id}/details/) decides whether
uploads are indexed, and each file's `ai.state` reaches "ready" when indexed.

NOT found in the docs we could read, so assumed here and mirrored by the test stand-in
(tests/servers/fastio_stub.py) — check against the live API before relying on them:
  - the upload form fields (`action=create`, `instance_id`, `folder_id`, `name`, `size`,
    `chunk`) and response field `new_file_id` of POST upload/;
  - POST storage/{node}/createfolder/ (`name`), storage/{node}/move/ (`parent`),
    storage/{node}/copy/ (`parent`), GET storage/{node}/read/ (raw bytes);
  - the lock paths: POST storage/{node}/lock/ (`duration`) -> `lock.lock_token`,
    POST storage/{node}/lock/heartbeat/?lock_token=…, DELETE storage/{node}/lock/?lock_token=…;
  - list pagination (we read `nodes` and follow `next_cursor` when present);
  - the full list of `ai.state` values (we wait while it is pending/queued/in progress);
  - the activity long-poll: GET activity/poll/{workspace_id}/?wait=S&lastactivity=T ->
    `lastactivity` (docs name "activity polling for efficient change detection" but the
    excerpt we had shows no path); a 404 there falls back to plain sleeping.
Fast.io has no rename-over, so a swap is two moves (old release out, new release in):
a reader can find the area missing for that instant, never a mix of two releases.
"""

from __future__ import annotations

import os
import posixpath
import time
from typing import Any

from agentci.deploy.backends.base import AreaRef, Backend, BackendError, Lease
from agentci.errors import AgentciError

DEFAULT_URL = "https://api.fast.io/current/"
RELEASES = ".agentci/releases"
PENDING_AI = {"pending", "queued", "inprogress", "in_progress", "processing", "indexing"}


class FastioBackend(Backend):
    name = "fastio"
    hash_algo = "md5"

    def __init__(self, workspace_id: str, token: str, base_url: str = DEFAULT_URL, timeout: float = 30.0,
                 retries: int = 4) -> None:
        import httpx

        self.workspace_id, self.retries = workspace_id, retries
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/", timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})
        self._ids: dict[str, str] = {"": "root"}
        self._intel: bool | None = None
        self._activity: str | None = ""  # None: the poll endpoint is not there, just sleep

    @classmethod
    def from_config(cls, options: dict[str, Any]) -> FastioBackend:
        ws = options.get("workspace_id")
        env = options.get("token_env") or "FASTIO_TOKEN"
        if not ws:
            raise AgentciError("agentci.yaml workspace.fastio.workspace_id is not set",
                               hint="workspace: {backend: fastio, fastio: {workspace_id: '…', token_env: FASTIO_TOKEN}}")
        token = os.environ.get(env, "")
        if not token:
            raise AgentciError(f"the fastio backend needs a token: {env} is not set",
                               hint=f"export {env}=… (in Actions: env: {env}: ${{{{ secrets.{env} }}}})")
        return cls(str(ws), token, options.get("base_url") or DEFAULT_URL,
                   float(options.get("timeout", 30)), int(options.get("retries", 4)))

    @property
    def indexes(self) -> bool:  # type: ignore[override]
        if self._intel is None:
            data = self._call("GET", f"workspace/{self.workspace_id}/details/")
            self._intel = bool((data.get("workspace") or {}).get("intelligence"))
        return self._intel

    def describe(self) -> str:
        return f"fastio workspace {self.workspace_id}"

    def close(self) -> None:
        self.http.close()

    # -- HTTP with retries ---------------------------------------------------------------
    def _call(self, method: str, path: str, *, raw: bool = False, once: bool = False, **kw: Any) -> Any:
        import httpx

        last = ""
        retries = 0 if once else self.retries
        for attempt in range(retries + 1):
            try:
                resp = self.http.request(method, path, **kw)
            except httpx.TransportError as exc:  # timeouts, dropped connections
                last = f"{type(exc).__name__}"
            else:
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code}"
                    retry_after = resp.headers.get("Retry-After")
                    if retry_after and retry_after.isdigit() and attempt < retries:
                        time.sleep(min(float(retry_after), 30.0))
                        continue
                elif resp.status_code >= 400:
                    raise BackendError(f"Fast.io {method} {path}: HTTP {resp.status_code}: {_error(resp)}")
                else:
                    if raw:
                        return resp.content
                    data = resp.json()
                    if isinstance(data, dict) and data.get("result") is False:
                        raise BackendError(f"Fast.io {method} {path}: {_error(resp)}")
                    return data
            if attempt < retries:
                time.sleep(min(0.1 * 2**attempt, 5.0))
        raise Transient(f"Fast.io {method} {path} failed after {retries + 1} attempts ({last})")

    def _s(self, node: str, action: str) -> str:
        return f"workspace/{self.workspace_id}/storage/{node}/{action}/"

    # -- nodes by path -------------------------------------------------------------------
    def _list(self, node: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        while True:
            data = self._call("GET", self._s(node, "list"), params=params)
            out += [n for n in data.get("nodes", []) if isinstance(n, dict)]
            cursor = data.get("next_cursor")
            if not cursor:
                return out
            params = {"cursor": cursor}

    def _node(self, path: str, create: bool = False) -> str | None:
        path = posixpath.normpath("/" + path).lstrip("/")
        if path in self._ids:
            return self._ids[path]
        parent_path, name = posixpath.split(path)
        parent = self._node(parent_path, create)
        if parent is None:
            return None
        found = next((n for n in self._list(parent) if n.get("name") == name), None)
        if found is None:
            if not create:
                return None
            found = self._call("POST", self._s(parent, "createfolder"), data={"name": name})["node"]
        self._ids[path] = found["id"]
        return str(found["id"])

    def _forget(self, path: str) -> None:
        path = posixpath.normpath("/" + path).lstrip("/")
        for key in [k for k in self._ids if k == path or k.startswith(path + "/")]:
            del self._ids[key]

    def _tree(self, node: str, prefix: str = "") -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for n in self._list(node):
            rel = f"{prefix}{n['name']}"
            if n.get("type") == "folder":
                out.update(self._tree(n["id"], rel + "/"))
            else:
                out[rel] = n
        return out

    def _upload(self, folder: str, name: str, data: bytes) -> None:
        if len(data) >= 4 * 1024 * 1024:
            raise BackendError(f"{name}: files of 4 MB and more need Fast.io's chunked upload, not supported yet")
        for attempt in range(self.retries + 1):
            if attempt:
                # The failed attempt may have stored the file after all (a timeout is not a "no"):
                # remove it so a retry never leaves "name (1)" twins.
                time.sleep(min(0.1 * 2**attempt, 5.0))
                for existing in self._list(folder):
                    if existing.get("name") == name:
                        self._call("DELETE", self._s(existing["id"], "delete"))
            try:
                self._call("POST", "upload/", once=True,
                           data={"action": "create", "instance_id": self.workspace_id, "folder_id": folder,
                                 "name": name, "size": str(len(data))},
                           files={"chunk": (name, data, "application/octet-stream")})
                return
            except Transient:
                continue
        raise Transient(f"Fast.io POST upload/ of {name} failed after {self.retries + 1} attempts")

    # -- plain files -------------------------------------------------------------------
    def read(self, path: str) -> bytes | None:
        node = self._node(path)
        if node is None:
            return None
        return bytes(self._call("GET", self._s(node, "read"), raw=True))

    def write(self, path: str, data: bytes) -> None:
        parent_path, name = posixpath.split(posixpath.normpath("/" + path).lstrip("/"))
        folder = self._node(parent_path, create=True)
        assert folder is not None
        self._forget(path)
        self._upload(folder, name, data)

    def append(self, path: str, data: bytes) -> None:
        # Under the deploy lease there is one writer; Fast.io has no append.
        self.write(path, (self.read(path) or b"") + data)

    def delete(self, path: str) -> None:
        node = self._node(path)
        if node is not None:
            self._call("DELETE", self._s(node, "delete"))
            self._forget(path)

    def exists(self, path: str) -> bool:
        return self._node(path) is not None

    # -- releases: .agentci/releases/<key>/<release>/<basename>/… moved in and out of place
    def _slot(self, area: AreaRef, release: str) -> str:
        return f"{RELEASES}/{area.key}/{release}"

    def live_files(self, area: AreaRef) -> dict[str, str] | None:
        node = self._node(area.path)
        return None if node is None else {p: str(n.get("hash", "")) for p, n in self._tree(node).items()}

    def live_release(self, area: AreaRef) -> str | None:
        import hashlib

        files = self.live_files(area)
        if files is None:
            return None
        h = hashlib.sha256()
        for path, digest in sorted(files.items()):
            h.update(f"{path}\0{digest}\n".encode())
        return h.hexdigest()[:16]  # the same content address desired.Area.release_id computes

    def release_files(self, area: AreaRef, release: str) -> dict[str, str] | None:
        node = self._node(f"{self._slot(area, release)}/{posixpath.basename(area.path)}")
        return None if node is None else {p: str(n.get("hash", "")) for p, n in self._tree(node).items()}

    def stage_release(self, area: AreaRef, release: str, send: dict[str, bytes], keep: list[str],
                      base: str | None) -> None:
        slot = self._slot(area, release)
        if self._node(slot) is not None:  # a partial or stale build: start over
            self.delete(slot)
        top = f"{slot}/{posixpath.basename(area.path)}"
        self._node(top, create=True)
        live = self._tree(self._node(area.path) or "") if keep and self._node(area.path) else {}
        for rel in keep:
            folder = self._node(posixpath.dirname(f"{top}/{rel}"), create=True)
            self._call("POST", self._s(live[rel]["id"], "copy"), data={"parent": folder})
        for rel, data in send.items():
            folder = self._node(posixpath.dirname(f"{top}/{rel}"), create=True)
            assert folder is not None
            self._upload(folder, posixpath.basename(rel), data)

    def swap_release(self, area: AreaRef, release: str | None) -> None:
        parent = self._node(posixpath.dirname(area.path), create=True)
        current = self._node(area.path)
        if current is not None:
            old = self.live_release(area) or "unknown"
            slot = self._node(self._slot(area, old), create=True)
            assert slot is not None
            twin = next((n for n in self._list(slot) if n.get("name") == posixpath.basename(area.path)), None)
            if twin:
                self._call("DELETE", self._s(twin["id"], "delete"))
            self._call("POST", self._s(current, "move"), data={"parent": slot})
            self._forget(area.path)
            self._forget(self._slot(area, old))
        if release is None:
            return
        new = self._node(f"{self._slot(area, release)}/{posixpath.basename(area.path)}")
        if new is None:
            raise BackendError(f"release {release} of {area.key} is not staged")
        self._call("POST", self._s(new, "move"), data={"parent": parent})
        self._forget(self._slot(area, release))

    def list_releases(self, area: AreaRef) -> list[str]:
        node = self._node(f"{RELEASES}/{area.key}")
        return sorted(n["name"] for n in self._list(node)) if node else []

    def delete_release(self, area: AreaRef, release: str) -> None:
        # Per docs.fast.io/storage.html, .../delete/ moves the node to the trash (kept, and counted
        # against storage until the trash is emptied); .../purge/ removes a trashed node for good.
        # Old releases therefore pile up in the trash: we do not purge them, so a hand restore stays
        # possible. Not exercised against the live API.
        self.delete(self._slot(area, release))

    def live_areas(self, prefix: str) -> list[str]:
        node = self._node(prefix)
        return sorted(n["name"] for n in self._list(node) if n.get("type") == "folder") if node else []

    # -- lease lock on a file node -------------------------------------------------------
    def _lock_node(self, name: str) -> str:
        path = f".agentci/locks/{name}.lock"
        if self._node(path) is None:
            self.write(path, b"agentci deploy lock\n")
        node = self._node(path)
        assert node is not None
        return node

    # Divergence check against the public docs (fast.io/resources/implement-file-locks-fastio-api,
    # docs.fast.io/storage.html), done in the audit: the docs say a lock is "held by the acquiring
    # user's ID" and that node details carry `lock_info` with "holder ID, acquisition time, TTL".
    #  - They do not say what a second acquire by the SAME user returns. Two deploys from one CI
    #    token are the same user: we rely on a 409/423 there (the stand-in answers 409 to any
    #    second acquire). If the live API re-grants the lock to its holder, this lease would not
    #    serialise two runs that share a token; verify before relying on it.
    #  - `lock_info.expires_at` (read by lock_holder) is not a documented field; the docs name an
    #    acquisition time and a TTL. When it is absent the wait message shows 0 s left, nothing worse.
    def lock_acquire(self, name: str, owner: str, ttl: float) -> Lease | None:
        node = self._lock_node(name)
        try:
            data = self._call("POST", self._s(node, "lock"), data={"duration": str(max(1, round(ttl)))})
        except BackendError as exc:
            if "HTTP 409" in str(exc) or "HTTP 423" in str(exc):
                return None
            raise
        lock = data.get("lock") or {}
        return Lease(name, owner, str(lock.get("lock_token")), time.time() + ttl, {"node": node})

    def lock_heartbeat(self, lease: Lease, ttl: float) -> bool:
        try:
            self._call("POST", self._s(lease.extra["node"], "lock/heartbeat"),
                       params={"lock_token": lease.token}, data={"duration": str(max(1, round(ttl)))})
        except BackendError:
            return False
        lease.expires_at = time.time() + ttl
        return True

    def lock_release(self, lease: Lease) -> None:
        self._call("DELETE", self._s(lease.extra["node"], "lock"), params={"lock_token": lease.token})

    def lock_holder(self, name: str) -> dict[str, Any] | None:
        node = self._node(f".agentci/locks/{name}.lock")
        if node is None:
            return None
        info = self._call("GET", self._s(node, "details")).get("node", {}).get("lock_info") or {}
        return {"owner": info.get("holder") or "another run", "expires_at": info.get("expires_at", 0)}

    # -- indexing ------------------------------------------------------------------------
    def wait_for_change(self, seconds: float) -> None:
        if self._activity is None or seconds < 1:
            time.sleep(seconds)
            return
        try:
            data = self._call("GET", f"activity/poll/{self.workspace_id}/", once=True,
                              params={"wait": str(int(seconds)), "lastactivity": self._activity},
                              timeout=seconds + 10)
        except BackendError as exc:
            if "HTTP 404" in str(exc):
                self._activity = None
            time.sleep(seconds)
            return
        self._activity = str(data.get("lastactivity") or self._activity)

    def index_pending(self, area: AreaRef, paths: list[str]) -> list[str]:
        node = self._node(area.path)
        if node is None or not self.indexes:
            return []
        tree = self._tree(node)
        return [p for p in paths if str((tree.get(p, {}).get("ai") or {}).get("state", "")).lower() in PENDING_AI]


class Transient(BackendError):
    """Retries ran out on 429/5xx/timeouts."""


def _error(resp: Any) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200]
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        return str(err.get("text") or err.get("message") or err)[:200]
    return str(err or data)[:200]
