"""A Fast.io stand-in on 127.0.0.1, written from Fast.io's official CLI and agent reference.

References (fetched snapshots; file:line given at each endpoint below):
  CLI  = MediaFire/fastio_cli  src/client.rs, src/api/{storage,upload,locking,workspace,event}.rs,
         src/bin/fastio/commands/{upload,files}.rs
  REF  = MediaFire/fastio-skills references/REFERENCE.md
  DOCS = docs.fast.io/storage.html (node schema: id, name, type, parent, size, hash, hash_algo=md5,
         locked, lock_info, ai.state)
It is not derived from agentci's backend. Where the references are silent the stand-in picks
one answer and can be switched to the others (see the knobs on FastioServer), so tests can
show the backend is safe for each:
  - envelope: flat `{"result": true, ...}` (CLI tests pin live answers so) or wrapped
    `{"result": "yes", "response": {...}}` (the docs' form), or alternating (`envelope="mixed"`);
  - a second lock acquire by the same user (the only user here): refused (409), re-granted with a
    new token (the old one dies), or shared (the same token comes back) — `reacquire=`;
  - the list answer's page field names (`nodes` + `pagination.next_cursor`, a guess).
Behaviour it reproduces on purpose: an upload with action=create ADDS a node even when one of that
name exists; chunk `order` is 1-based; more than 3 parallel chunks per session is refused; lock
`duration` outside 60-3600 is refused; `lock_token` is read from the form only (also on DELETE);
AI states move pending -> inprogress -> ready (or failed); 429 answers carry `x-ve-limit-*` with
the expiry as epoch seconds and no Retry-After.

    with FastioServer(token="t") as fio:
        fio.throttle = 0.2                          # 20% of requests answered 429
        fio.fault("upload/", after=3, times=2, mode="after-500")   # runs, then answers 500
        fio.paths()                                 # {path: [content, ...]} — twins show as lists
"""

from __future__ import annotations

import hashlib
import random
import re
import string
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

SINGLE_CALL_MAX = 4 * 1024 * 1024  # CLI upload.rs:86
MAX_PARALLEL_CHUNKS = 3  # REF:993
LOCK_MIN, LOCK_MAX = 60, 3600  # CLI locking.rs:15-16, storage.rs:886-890


def opaque(prefix: str) -> str:
    """OpaqueIds: 30 alphanumerics, prefix f=file, d=folder (DOCS "Conventions")."""
    return prefix + "".join(random.choices(string.ascii_lowercase + string.digits, k=29))


@dataclass
class Node:
    id: str
    name: str
    type: str  # file | folder
    parent: str
    content: bytes = b""
    version: int = 1
    modified: float = 0.0
    trashed: bool = False
    ai_ready_at: float = 0.0
    ai_fail: bool = False
    lock_token: str | None = None
    lock_until: float = 0.0
    lock_duration: int = 0


@dataclass
class Session:
    id: str
    name: str
    size: int
    placed: dict[str, str] | None  # instance_id/folder_id when the file is to be added to storage
    status: str = "ready"  # REF:1005-1016
    chunks: dict[int, bytes] = field(default_factory=dict)
    new_file_id: str | None = None
    status_message: str = ""
    inflight: int = 0


@dataclass
class Fault:
    match: str
    after: int
    times: int | None
    mode: str  # before-500 | after-500 | after-timeout
    delay: float
    seen: int = 0


class FastioServer:
    def __init__(
        self,
        token: str = "fio_test_key",
        *,
        workspace_id: str = "4401234567890123456",
        envelope: str = "flat",
        reacquire: str = "refuse",
        intelligence: bool = False,
        max_page: int = 500,
        other_workspaces: tuple[str, ...] = (),
    ) -> None:
        self.workspaces = (workspace_id, *other_workspaces)
        self.token, self.workspace_id, self.envelope, self.reacquire = (
            token,
            workspace_id,
            envelope,
            reacquire,
        )
        self.intelligence, self.max_page = intelligence, max_page
        self.index_delay, self.fail_index = 0.5, set()  # names whose indexing fails
        self.throttle, self.rng = 0.0, random.Random(7)
        self.nodes: dict[str, Node] = {}
        self.sessions: dict[str, Session] = {}
        self.requests: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.answered_429 = 0
        self.max_parallel_chunks = 0
        self.drop_chunks: set[int] = set()  # chunk orders the server "loses" (assembly then fails)
        self.offset = 0.0  # tests move the stand-in's clock (lock expiry) with advance()
        self.activity = 0
        self._n = 0
        self.lock = threading.Condition()
        from tests.servers.fastio_routes import _handler

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.handle_error = lambda *a: None  # type: ignore[method-assign]  # clients killed mid-request
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/current/"

    def __enter__(self) -> FastioServer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- test helpers --------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def fault(
        self,
        match: str,
        after: int = 0,
        times: int | None = 1,
        mode: str = "after-500",
        delay: float = 2.0,
    ) -> None:
        self.faults.append(Fault(match, after, times, mode, delay))

    def root(self, workspace: str) -> str:
        """The root folder's id: "root" for the main workspace, "root-<id>" for the others."""
        return "root" if workspace == self.workspace_id else f"root-{workspace}"

    def live(self, parent: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.parent == parent and not n.trashed]

    def paths(self, workspace: str | None = None) -> dict[str, list[bytes]]:
        """Every live path with the content of each node at it (a list longer than 1 is a twin)."""
        out: dict[str, list[bytes]] = {}

        def walk(parent: str, prefix: str) -> None:
            for n in self.live(parent):
                if n.type == "folder":
                    out.setdefault(prefix + n.name + "/", [])
                    walk(n.id, prefix + n.name + "/")
                else:
                    out.setdefault(prefix + n.name, []).append(n.content)

        with self.lock:
            walk(self.root(workspace or self.workspace_id), "")
        return out

    def files(self, top: str) -> dict[str, bytes]:
        """The files under a folder path, one per path (asserts there is no twin)."""
        prefix = top.rstrip("/") + "/"
        out: dict[str, bytes] = {}
        for path, contents in self.paths().items():
            if path.startswith(prefix) and not path.endswith("/"):
                assert len(contents) == 1, f"{path} has {len(contents)} nodes"
                out[path[len(prefix) :]] = contents[0]
        return out

    def find(self, path: str) -> Node | None:
        parent: str = "root"
        node = None
        for part in path.strip("/").split("/"):
            node = next((n for n in self.live(parent) if n.name == part), None)
            if node is None:
                return None
            parent = node.id
        return node

    def locked_nodes(self) -> list[Node]:
        return [
            n
            for n in self.nodes.values()
            if n.lock_token and n.lock_until > self.now() and not n.trashed
        ]

    # -- model ---------------------------------------------------------------------------
    def _new(self, name: str, type_: str, parent: str, content: bytes = b"") -> Node:
        node = Node(
            opaque("f" if type_ == "file" else "d"),
            name,
            type_,
            parent,
            content,
            modified=self.now(),
        )
        self._set_ai(node)
        self.nodes[node.id] = node
        self._touch()
        return node

    def _set_ai(self, node: Node) -> None:
        node.ai_ready_at, node.ai_fail = self.now() + self.index_delay, node.name in self.fail_index

    def _touch(self) -> None:
        self.activity += 1
        self.lock.notify_all()

    def node_json(self, n: Node) -> dict[str, Any]:
        """DOCS node schema."""
        out: dict[str, Any] = {
            "id": n.id,
            "name": n.name,
            "type": n.type,
            "parent": n.parent,
            "created": "2026-01-01T00:00:00Z",
            "modified": _iso(n.modified),
            "locked": bool(n.lock_token and n.lock_until > self.now()),
            "lock_info": None,
        }
        if out["locked"]:
            out["lock_info"] = {
                "acquired": _iso(n.lock_until - n.lock_duration),
                "ttl": n.lock_duration,
                "expires": n.lock_until,
            }
        if n.type == "file":
            out.update(
                size=len(n.content),
                hash=hashlib.md5(n.content).hexdigest(),
                hash_algo="md5",
                version=f"v{n.version}",
                ai={"state": self._ai_state(n), "attach": False},
            )
        return out

    def _ai_state(self, n: Node) -> str:
        """REF:1529-1533: disabled -> pending -> inprogress -> ready (or failed)."""
        if not self.intelligence:
            return "disabled"
        left = n.ai_ready_at - self.now()
        if left > self.index_delay / 2:
            return "pending"
        if left > 0:
            return "inprogress"
        return "failed" if n.ai_fail else "ready"


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """multipart/form-data (RFC 7578) split on its boundary; parts with a filename are files."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    form: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if not match:
        return form, files
    for part in body.split(b"--" + match.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.partition(b"\r\n\r\n")
        data = data[:-2] if data.endswith(b"\r\n") else data
        disposition = head.decode("latin-1")
        name = re.search(r'\bname="([^"]*)"', disposition)
        if name is None:
            continue
        if re.search(r'\bfilename="', disposition):
            files[name.group(1)] = data
        else:
            form[name.group(1)] = data.decode()
    return form, files


class Answer(Exception):
    def __init__(self, status: int, payload: Any = None, raw: bytes | None = None) -> None:
        super().__init__(status)
        self.status, self.payload, self.raw = status, payload, raw


def fail(status: int, text: str, code: int = 0) -> Answer:
    """Error envelope: `{"result": "no", "error": {"code", "text"}}` (CLI client.rs:2300-2313)."""
    return Answer(status, {"result": "no", "error": {"code": code or status, "text": text}})
