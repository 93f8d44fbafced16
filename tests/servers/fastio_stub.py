"""A Fast.io REST stand-in on 127.0.0.1 (paths under /current/, bearer auth, form-encoded
POSTs, JSON `{"result": true, ...}` envelopes, storage nodes with md5 `hash` and `ai.state`).

It follows the documented requests/responses and, where the docs we could read are silent,
the same assumptions agentci/deploy/backends/fastio.py lists. Faults can be injected:

    with FastioStub(token="t") as fio:
        fio.fail_uploads(after=5, times=2, mode="500")     # uploads 6 and 7 get HTTP 500
        fio.fail_uploads(after=5, times=None, mode="timeout", delay=2.0)  # hang from upload 6 on
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Node:
    id: str
    name: str
    type: str  # file | folder
    parent: str
    content: bytes = b""
    indexed_at: float = 0.0
    lock_token: str | None = None
    lock_expires: float = 0.0

    def to_json(self, stub: FastioStub) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type, "parent": self.parent,
                               "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                               "locked": self.locked, "lock_info": None}
        if self.locked:
            out["lock_info"] = {"holder": "agentci", "expires_at": self.lock_expires}
        if self.type == "file":
            state = "ready" if time.time() >= self.indexed_at else "pending"
            out.update(size=len(self.content), hash=hashlib.md5(self.content).hexdigest(), hash_algo="md5",
                       version="v1", ai={"state": state if stub.intelligence else "disabled", "attach": False})
        return out

    @property
    def locked(self) -> bool:
        return self.lock_token is not None and self.lock_expires > time.time()


@dataclass
class Fault:
    after: int
    times: int | None
    mode: str
    delay: float


@dataclass
class FastioStub:
    token: str = "fio_test_token"
    workspace_id: str = "1234567890123456789"
    intelligence: bool = False
    index_delay: float = 0.0
    page_size: int = 50
    nodes: dict[str, Node] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    uploads: int = 0
    polls: int = 0
    fault: Fault | None = None

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/current/"

    def __enter__(self) -> FastioStub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_uploads(self, after: int, times: int | None, mode: str = "500", delay: float = 2.0) -> None:
        self.fault = Fault(self.uploads + after, times, mode, delay)

    # -- test helpers: the tree by path ------------------------------------------------
    def children(self, parent: str) -> list[Node]:
        return sorted((n for n in self.nodes.values() if n.parent == parent), key=lambda n: n.name)

    def find(self, path: str) -> Node | None:
        parent, node = "root", None
        for part in [p for p in path.split("/") if p]:
            node = next((n for n in self.children(parent) if n.name == part), None)
            if node is None:
                return None
            parent = node.id
        return node

    def files(self, path: str) -> dict[str, bytes]:
        top = self.find(path)
        out: dict[str, bytes] = {}

        def walk(node: Node, prefix: str) -> None:
            for c in self.children(node.id):
                if c.type == "folder":
                    walk(c, f"{prefix}{c.name}/")
                else:
                    out[prefix + c.name] = c.content
        if top is not None:
            walk(top, "")
        return out

    def new_node(self, name: str, type_: str, parent: str, content: bytes = b"") -> Node:
        prefix = "f" if type_ == "file" else "d"
        node = Node(prefix + secrets.token_hex(14), name, type_, parent, content,
                    indexed_at=time.time() + (self.index_delay if self.intelligence else 0))
        self.nodes[node.id] = node
        return node


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            files[str(name)] = payload
        else:
            fields[str(name)] = payload.decode()
    return fields, files


def _handler(stub: FastioStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One write per response and no Nagle: otherwise delayed ACKs add ~40 ms per request.
        wbufsize = 1 << 16
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any, raw: bytes | None = None) -> None:
            body = raw if raw is not None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream" if raw is not None else "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _err(self, status: int, text: str) -> None:
            self._send(status, {"result": False, "error": {"code": status, "text": text}})

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            ctype = self.headers.get("Content-Type", "")
            files: dict[str, bytes] = {}
            if ctype.startswith("multipart/form-data"):
                form, files = _parse_multipart(ctype, body)
            else:
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            stub.requests.append((self.command, url.path, {**query, **form}))
            if self.headers.get("Authorization") != f"Bearer {stub.token}":
                return self._err(401, "invalid or missing token")
            parts = [p for p in url.path.split("/") if p]
            if parts[:1] != ["current"]:
                return self._err(404, "not found")
            parts = parts[1:]
            if parts == ["upload"] and self.command == "POST":
                return self._upload(form, files)
            if parts[:2] == ["activity", "poll"] and parts[2:] == [stub.workspace_id]:
                return self._poll(query)
            if parts[:2] != ["workspace", stub.workspace_id]:
                return self._err(404, "workspace not found")
            if parts[2:] == ["details"]:
                return self._send(200, {"result": True, "workspace": {"id": stub.workspace_id,
                                                                      "intelligence": stub.intelligence}})
            if len(parts) >= 5 and parts[2] == "storage":
                with stub.lock:
                    return self._storage(parts[3], "/".join(parts[4:]), query, form)
            return self._err(404, "not found")

        def _poll(self, query: dict[str, str]) -> None:
            """Long-poll: answer when the next pending file finishes indexing, or after `wait`."""
            now = time.time()
            with stub.lock:
                due = [n.indexed_at for n in stub.nodes.values() if n.indexed_at > now]
            wait = min(float(query.get("wait", 0)), 60.0)
            time.sleep(max(0.0, min(wait, (min(due) - now + 0.01) if due else wait)))
            stub.polls += 1
            self._send(200, {"result": True, "lastactivity": f"{time.time():.3f}", "activity": []})

        def _upload(self, form: dict[str, str], files: dict[str, bytes]) -> None:
            with stub.lock:
                stub.uploads += 1
                n, fault = stub.uploads, stub.fault
            if fault and n > fault.after and (fault.times is None or n <= fault.after + fault.times):
                if fault.mode == "timeout":
                    time.sleep(fault.delay)
                    # the bytes arrived late, after the client gave up: still stored, as a real server might
                else:
                    return self._err(500, "internal error")
            chunk = files.get("chunk")
            if form.get("action") != "create" or form.get("instance_id") != stub.workspace_id or chunk is None:
                return self._err(400, "action=create, instance_id and a chunk are required")
            if int(form.get("size", -1)) != len(chunk) or len(chunk) >= 4 * 1024 * 1024:
                return self._err(400, "size mismatch or file too large for a single-request upload")
            with stub.lock:
                parent = form.get("folder_id", "root")
                if parent != "root" and parent not in stub.nodes:
                    return self._err(404, "folder not found")
                node = stub.new_node(form["name"], "file", parent, chunk)
            self._send(200, {"result": True, "id": "u" + secrets.token_hex(8), "new_file_id": node.id})

        def _storage(self, node_id: str, action: str, query: dict[str, str], form: dict[str, str]) -> None:
            node = stub.nodes.get(node_id)
            if node is None and not (node_id == "root" and action in ("list", "createfolder")):
                return self._err(404, "node not found")
            if action == "list":
                kids = [c.to_json(stub) for c in stub.children(node_id)]
                start = int(query.get("cursor", 0))
                page = kids[start:start + stub.page_size]
                nxt = str(start + stub.page_size) if start + stub.page_size < len(kids) else None
                return self._send(200, {"result": True, "nodes": page, "next_cursor": nxt})
            if action == "createfolder" and self.command == "POST":
                return self._send(200, {"result": True, "node": stub.new_node(form["name"], "folder", node_id).to_json(stub)})
            assert node is not None
            if action == "details":
                return self._send(200, {"result": True, "node": node.to_json(stub)})
            if action == "read":
                return self._send(200, None, raw=node.content)
            if action == "delete" and self.command == "DELETE":
                self._trash(node)
                return self._send(200, {"result": True})
            if action in ("move", "copy") and self.command == "POST":
                parent = form.get("parent", "")
                if parent != "root" and stub.nodes.get(parent, Node("", "", "file", "")).type != "folder":
                    return self._err(400, "parent must be a folder")
                if any(c.name == node.name for c in stub.children(parent)):
                    return self._err(409, f"{node.name!r} already exists in the target folder")
                if action == "move":
                    node.parent = parent
                else:
                    self._copy(node, parent)
                return self._send(200, {"result": True, "node": node.to_json(stub)})
            if action == "lock" and self.command == "POST":
                if node.type != "file":
                    return self._err(400, "only files can be locked")
                if node.locked:
                    # Any second acquire is refused here, also by the same token. The docs say a lock is
                    # "held by the acquiring user's ID" and do not say what the holder's own re-acquire
                    # returns; agentci's lease depends on this refusal (see FastioBackend.lock_acquire).
                    return self._err(409, "node is locked")
                node.lock_token = secrets.token_hex(16)
                node.lock_expires = time.time() + float(form.get("duration", 60))
                return self._send(200, {"result": True, "lock": {"lock_token": node.lock_token,
                                                                 "expires": node.lock_expires}})
            if action == "lock/heartbeat" and self.command == "POST":
                if not node.locked or query.get("lock_token") != node.lock_token:
                    return self._err(409, "lock not held")
                node.lock_expires = time.time() + float(form.get("duration", 60))
                return self._send(200, {"result": True})
            if action == "lock" and self.command == "DELETE":
                if query.get("lock_token") != node.lock_token:
                    return self._err(403, "lock_token does not match")
                node.lock_token = None
                return self._send(200, {"result": True})
            return self._err(404, f"unknown storage action {action}")

        def _trash(self, node: Node) -> None:
            for c in stub.children(node.id):
                self._trash(c)
            stub.nodes.pop(node.id, None)

        def _copy(self, node: Node, parent: str) -> None:
            twin = stub.new_node(node.name, node.type, parent, node.content)
            for c in stub.children(node.id):
                self._copy(c, twin.id)

        do_GET = do_POST = do_DELETE = _serve

    return Handler
