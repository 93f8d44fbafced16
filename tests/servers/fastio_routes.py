"""The HTTP side of the Fast.io stand-in (tests/servers/fastio_server.py): one method per endpoint,
each citing the CLI/reference line it follows. Paths are under /current/ (REF "Base URL")."""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from tests.servers.fastio_server import FastioServer

from tests.servers.fastio_server import (
    LOCK_MAX,
    LOCK_MIN,
    MAX_PARALLEL_CHUNKS,
    SINGLE_CALL_MAX,
    Answer,
    Session,
    _multipart,
    fail,
    opaque,
)


def _handler(fio: FastioServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = (
            True  # headers and body go out as two writes: no 40 ms delayed-ACK stall
        )

        def log_message(self, *args: Any) -> None:
            pass

        def _send(
            self,
            status: int,
            payload: Any = None,
            raw: bytes | None = None,
            headers: dict[str, str] | None = None,
        ) -> None:
            if raw is not None:
                body, ctype = raw, "application/octet-stream"
            else:
                body, ctype = json.dumps(self._envelope(payload)).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            # CLI client.rs:2443-2495: x-ve-limit-avail / -max / -expires (epoch seconds); no Retry-After.
            now = int(fio.now())
            avail = "0" if status == 429 else "900"
            for k, v in {
                "x-ve-limit-avail": avail,
                "x-ve-limit-max": "1000",
                "x-ve-limit-expires": str(now + 1),
                **(headers or {}),
            }.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _envelope(self, payload: Any) -> Any:
            """Flat `{"result": true, ...}` or wrapped `{"result": "yes", "response": {...}}`: the CLI
            accepts both (client.rs:2142-2177); errors keep the `error` object either way."""
            if not isinstance(payload, dict) or "result" in payload:
                return payload
            mode = fio.envelope
            if mode == "mixed":
                fio._n += 1
                mode = "wrapped" if fio._n % 2 else "flat"
            return (
                {"result": "yes", "response": payload}
                if mode == "wrapped"
                else {"result": True, **payload}
            )

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("multipart/form-data"):
                form, files = _multipart(ctype, body)
            elif ctype.startswith("application/octet-stream"):  # a stream upload's raw body
                form, files = {}, {"body": body}
            else:
                form, files = (
                    {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()},
                    {},
                )
            path = url.path.removeprefix("/current/").strip("/")
            if url.path.startswith("/_stub/"):  # test inspection: the whole tree, twins visible
                return self._send(
                    200,
                    raw=json.dumps(
                        {
                            p: [c.decode(errors="replace") for c in cs]
                            for p, cs in fio.paths().items()
                        }
                    ).encode(),
                )
            with fio.lock:
                fio.requests.append(
                    {
                        "method": self.command,
                        "path": path,
                        "query": query,
                        "form": form,
                        "auth": self.headers.get("Authorization", ""),
                    }
                )
                fault = self._fault(path, form)
            if self.headers.get("Authorization") != f"Bearer {fio.token}":
                return self._send(
                    401, {"result": "no", "error": {"code": 401, "text": "invalid token"}}
                )
            if fio.throttle and fio.rng.random() < fio.throttle:
                with fio.lock:
                    fio.answered_429 += 1
                return self._send(
                    429, {"result": "no", "error": {"code": 429, "text": "rate limited"}}
                )
            if fault and fault.mode == "before-500":
                return self._send(500, {"result": "no", "error": {"code": 500, "text": "injected"}})
            try:
                answer = self._route(path, query, form, files)
            except Answer as a:
                answer = a
            if fault and fault.mode == "after-500":
                return self._send(
                    500, {"result": "no", "error": {"code": 500, "text": "injected after"}}
                )
            if fault and fault.mode == "after-timeout":
                time.sleep(fault.delay)
            self._send(answer.status, answer.payload, answer.raw)

        def _fault(self, path: str, form: dict[str, str]) -> Any:
            for f in fio.faults:
                if (
                    f.match in f"{self.command} {path}/ {form.get('name', '')}"
                ):  # e.g. "POST upload/ new.md"
                    f.seen += 1
                    if f.seen > f.after and (f.times is None or f.seen <= f.after + f.times):
                        return f
            return None

        def _route(
            self, path: str, q: dict[str, str], form: dict[str, str], files: dict[str, bytes]
        ) -> Answer:
            parts = path.split("/")
            m = self.command
            if parts[0] == "workspace" and len(parts) >= 3 and parts[1] not in fio.workspaces:
                raise fail(404, "workspace not found")
            if parts[:1] == ["workspace"] and parts[2:] == ["details"]:
                # CLI workspace.rs:96-104 GET /workspace/{id}/details/
                return Answer(
                    200, {"workspace": {"id": fio.workspace_id, "intelligence": fio.intelligence}}
                )
            if parts[:1] == ["workspace"] and len(parts) >= 5 and parts[2] == "storage":
                with fio.lock:  # "root" is the root folder of the workspace in the path
                    node_id = fio.root(parts[1]) if parts[3] == "root" else parts[3]
                    return self._storage(node_id, "/".join(parts[4:]), q, form)
            if parts[0] == "upload":
                return self._upload(parts[1:], q, form, files)
            if parts[:2] == ["activity", "poll"] and m == "GET":
                return self._poll(q)
            raise fail(404, f"no route {m} {path}")

        # -- storage (CLI src/api/storage.rs) --------------------------------------------
        def _storage(
            self, node_id: str, action: str, q: dict[str, str], form: dict[str, str]
        ) -> Answer:
            m = self.command
            node = fio.nodes.get(node_id)
            if not node_id.startswith("root") and (
                node is None or (node.trashed and action not in ("purge", "details"))
            ):
                raise fail(404, "node not found", 1609)
            if action == "list" and m == "GET":
                return self._list(node_id, q)
            if action == "createfolder" and m == "POST":
                # storage.rs:300-330: without force=true an existing folder of that name is returned.
                existing = next(
                    (n for n in fio.live(node_id) if n.name == form["name"] and n.type == "folder"),
                    None,
                )
                if existing and form.get("force") != "true":
                    return Answer(200, {"node": fio.node_json(existing)})
                return Answer(
                    200, {"node": fio.node_json(fio._new(form["name"], "folder", node_id))}
                )
            assert node is not None
            if action == "details" and m == "GET":  # storage.rs:50-64
                return Answer(200, {"node": fio.node_json(node)})
            if action == "read" and m == "GET":  # storage.rs:984-1002 raw bytes
                return Answer(200, raw=node.content)
            if action in ("move", "copy") and m == "POST":  # storage.rs:332-368, form `parent`
                parent = form.get("parent", "")
                parent = fio.root(fio.workspace_id) if parent == "root" else parent
                if not parent.startswith("root") and (
                    parent not in fio.nodes or fio.nodes[parent].type != "folder"
                ):
                    raise fail(400, "parent must be a folder")
                if action == "move":
                    node.parent = parent
                    fio._touch()
                    return Answer(200, {"node": fio.node_json(node)})
                return Answer(200, {"node": fio.node_json(self._copy(node, parent))})
            if action == "update" and m == "POST":
                return self._update(node, form)
            if action == "delete" and m == "DELETE":  # storage.rs:446-461: to the trash
                node.trashed = True
                fio._touch()
                return Answer(200, {})
            if action == "purge" and m == "DELETE":  # storage.rs:478-495: a trashed node, for good
                if not node.trashed:
                    raise fail(400, "only trashed nodes can be purged")
                self._purge(node.id)
                return Answer(200, {})
            if action.startswith("lock"):
                return self._lock(node, action, m, form)
            raise fail(404, f"unknown storage action {m} {action}")

        def _list(self, node_id: str, q: dict[str, str]) -> Answer:
            # storage.rs:13-49: `page_size` and `cursor`; the answer's field names are not in the CLI
            # (a guess: `nodes` and `pagination` like REF:285-296's list endpoints).
            kids = sorted(fio.live(node_id), key=lambda n: n.id)
            size = min(int(q.get("page_size", 100)), fio.max_page)
            start = int(q.get("cursor", "0") or 0)
            page = kids[start : start + size]
            more = start + size < len(kids)
            return Answer(
                200,
                {
                    "nodes": [fio.node_json(n) for n in page],
                    "pagination": {
                        "has_more": more,
                        "next_cursor": str(start + size) if more else None,
                        "total": len(kids),
                    },
                },
            )

        def _copy(self, node: Any, parent: str) -> Any:
            twin = fio._new(node.name, node.type, parent, node.content)
            for child in fio.live(node.id):
                self._copy(child, twin.id)
            return twin

        def _purge(self, node_id: str) -> None:
            for child in [n for n in fio.nodes.values() if n.parent == node_id]:
                self._purge(child.id)
            fio.nodes.pop(node_id, None)

        def _update(self, node: Any, form: dict[str, str]) -> Answer:
            """storage.rs:371-421: `name` renames; `from` {"type":"upload","upload":{"id"}} replaces the
            content with a finished upload session and makes a new version of the same node."""
            if not any(k in form for k in ("name", "from", "metadata_title", "metadata_short")):
                raise fail(400, "at least one field is required")
            if "from" in form:
                source = json.loads(form["from"])
                session = fio.sessions.get(str((source.get("upload") or {}).get("id")))
                if session is None or session.status not in ("complete", "stored"):
                    raise fail(400, "upload session is not complete")
                node.content = b"".join(session.chunks[k] for k in sorted(session.chunks))
                node.version += 1
                fio._set_ai(node)
            if "name" in form:
                node.name = form["name"]
            node.modified = fio.now()
            fio._touch()
            return Answer(200, {"node": fio.node_json(node)})

        def _lock(self, node: Any, action: str, m: str, form: dict[str, str]) -> Answer:
            now = fio.now()
            held = bool(node.lock_token) and node.lock_until > now
            if action == "lock" and m == "GET":  # locking.rs:37-53 lock status
                return Answer(200, {"locked": held, "lock": fio.node_json(node)["lock_info"]})
            if node.type != "file":
                raise fail(400, "only files can be locked")  # docs.fast.io file-locks guide
            if action == "lock" and m == "POST":  # locking.rs:13-35, storage.rs:886-925
                duration = int(form.get("duration") or LOCK_MIN)
                if not LOCK_MIN <= duration <= LOCK_MAX:
                    raise fail(400, f"duration must be {LOCK_MIN}-{LOCK_MAX} seconds")
                if held and fio.reacquire == "refuse":
                    raise fail(409, "node is locked", 1660)
                if not (held and fio.reacquire == "share"):
                    node.lock_token = secrets.token_hex(
                        16
                    )  # "regrant": a new token, the old one dies
                node.lock_until, node.lock_duration = now + duration, duration
                return Answer(
                    200, {"lock": {"lock_token": node.lock_token, "expires": node.lock_until}}
                )
            token = form.get("lock_token")  # a form field, also on DELETE (locking.rs:55-101)
            if action == "lock/heartbeat" and m == "POST":
                if not held or token != node.lock_token:
                    raise fail(409, "lock is not held with that token")
                node.lock_until = now + node.lock_duration
                return Answer(200, {"lock": {"expires": node.lock_until}})
            if action == "lock" and m == "DELETE":
                if not held or token != node.lock_token:
                    raise fail(409, "lock is not held with that token")
                node.lock_token = None
                return Answer(200, {})
            raise fail(404, f"unknown lock action {m} {action}")

        # -- uploads (CLI src/api/upload.rs, REF:962-1044) --------------------------------
        def _upload(
            self, rest: list[str], q: dict[str, str], form: dict[str, str], files: dict[str, bytes]
        ) -> Answer:
            m = self.command
            if not rest and m == "POST":
                return self._create_session(form, files)
            with fio.lock:
                session = fio.sessions.get(rest[0]) if rest else None
                if session is None:
                    raise fail(404, "upload session not found")
                if rest[1:] == [] and m == "DELETE":  # upload.rs:925-932
                    del fio.sessions[session.id]
                    return Answer(200, {})
            if rest[1:] == ["chunk"] and m == "POST":
                return self._chunk(session, q, files)
            if rest[1:] == ["stream"] and m == "POST":
                # upload.rs:1143-1160: the raw body is the whole file; the session finalizes itself
                with fio.lock:
                    session.chunks, session.size = (
                        {1: files.get("body", b"")},
                        len(files.get("body", b"")),
                    )
                    self._assemble(session)
                    return Answer(200, {"id": session.id, "new_file_id": session.new_file_id})
            if rest[1:] == ["complete"] and m == "POST":
                return self._complete(session)
            if rest[1:] == ["details"] and m == "GET":  # upload.rs:902-910, long-poll REF:998-1003
                deadline = time.monotonic() + min(float(q.get("wait", 0) or 0), 5.0)
                with fio.lock:
                    while (
                        session.status
                        not in ("stored", "complete", "assembly_failed", "store_failed")
                        and time.monotonic() < deadline
                    ):
                        fio.lock.wait(deadline - time.monotonic())
                    return Answer(
                        200,
                        {
                            "session": {
                                "id": session.id,
                                "name": session.name,
                                "size": session.size,
                                "status": session.status,
                                "new_file_id": session.new_file_id,
                                "status_message": session.status_message,
                                "chunks": {str(k): len(v) for k, v in session.chunks.items()},
                            }
                        },
                    )
            raise fail(404, f"no upload route {m} {rest}")

        def _create_session(self, form: dict[str, str], files: dict[str, bytes]) -> Answer:
            if form.get("stream") == "true":  # upload.rs:1116-1141: no size up front
                form = {**form, "size": form.get("max_size") or "0"}
            if (
                form.get("action") != "create"
                or "name" not in form
                or not form.get("size", "").isdigit()
            ):
                raise fail(400, "name, size and action=create are required")
            placed = None
            if form.get(
                "instance_id"
            ):  # REF:1036-1044: without instance_id the file is placed nowhere
                if form["instance_id"] not in fio.workspaces or form.get("profile_type") not in (
                    None,
                    "workspace",
                ):
                    raise fail(404, "instance not found")
                folder = form.get("folder_id") or "root"
                placed = {
                    "folder_id": fio.root(form["instance_id"]) if folder == "root" else folder
                }
            with fio.lock:
                session = Session(opaque("u"), form["name"], int(form["size"]), placed)
                fio.sessions[session.id] = session
                if "chunk" not in files:  # a chunked session (upload.rs:227-256)
                    return Answer(200, {"id": session.id})
                # single call (upload.rs:88-124): the whole file rides the first request
                data = files["chunk"]
                if len(data) > SINGLE_CALL_MAX or len(data) != session.size:
                    raise fail(400, "single-call uploads are up to 4 MB and must match size")
                session.chunks[1] = data
                self._assemble(session)
                return Answer(200, {"id": session.id, "new_file_id": session.new_file_id})

        def _chunk(self, session: Session, q: dict[str, str], files: dict[str, bytes]) -> Answer:
            order, data = int(q.get("order", "0") or 0), files.get("chunk", b"")
            if order < 1:
                raise fail(400, "order is 1-based")  # REF:992-993
            if str(len(data)) != q.get("size"):
                raise fail(400, "size does not match the chunk")
            with fio.lock:
                if session.inflight >= MAX_PARALLEL_CHUNKS:
                    raise fail(429, "at most 3 chunks in parallel per session")
                session.inflight += 1
                fio.max_parallel_chunks = max(fio.max_parallel_chunks, session.inflight)
            try:
                time.sleep(0.01)  # a chunk takes a moment: parallel senders overlap
                with fio.lock:
                    if session.status not in ("ready", "uploading"):
                        raise fail(400, "session is not accepting chunks")
                    if order not in fio.drop_chunks:
                        session.chunks[order] = data
                    session.status = "uploading"
            finally:
                with fio.lock:
                    session.inflight -= 1
            return Answer(200, {})

        def _complete(self, session: Session) -> Answer:
            with fio.lock:  # upload.rs:876-884
                if session.status not in ("ready", "uploading"):
                    raise fail(400, "session is not in a valid state for completion")
                session.status = "assembling"
            threading.Thread(target=self._assemble_later, args=(session,), daemon=True).start()
            return Answer(200, {})

        def _assemble_later(self, session: Session) -> None:
            time.sleep(0.05)
            with fio.lock:
                self._assemble(session)

        def _assemble(self, session: Session) -> None:
            """assembling -> complete (unplaced) or storing -> stored (placed); assembly_failed when
            chunks are missing or the size differs (REF:1005-1016)."""
            orders = sorted(session.chunks)
            data = b"".join(session.chunks[k] for k in orders)
            if orders != list(range(1, len(orders) + 1)) or len(data) != session.size:
                session.status, session.status_message = (
                    "assembly_failed",
                    "chunks missing or size mismatch",
                )
            elif session.placed is None:
                session.status = "complete"
            else:
                folder = session.placed["folder_id"]
                if not folder.startswith("root") and (
                    folder not in fio.nodes or fio.nodes[folder].trashed
                ):
                    session.status, session.status_message = "store_failed", "folder not found"
                else:  # action=create ADDS a node, even when one of that name exists
                    session.new_file_id = fio._new(session.name, "file", folder, data).id
                    session.status = "stored"
            fio._touch()

        # -- activity (CLI event.rs:136-165, REF:1327-1342) ------------------------------
        def _poll(self, q: dict[str, str]) -> Answer:
            since = int(q.get("lastactivity") or -1)
            deadline = time.monotonic() + min(float(q.get("wait", 0) or 0), 2.0)
            with fio.lock:
                while fio.activity == since and time.monotonic() < deadline:
                    fio.lock.wait(deadline - time.monotonic())
                return Answer(
                    200,
                    {"activity": [f"storage:{fio.activity}"], "lastactivity": str(fio.activity)},
                )

        do_GET = do_POST = do_DELETE = _serve

    return Handler
