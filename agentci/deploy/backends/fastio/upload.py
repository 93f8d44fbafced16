"""Getting bytes into Fast.io: one-request uploads and chunked upload sessions.

Follows MediaFire/fastio_cli `src/api/upload.rs` and `src/bin/fastio/commands/upload.rs`, and
fastio-skills `references/REFERENCE.md` ("8. File Uploads", lines 962-1044):
- small files: POST upload/ multipart with `name`, `size`, `action=create`, `chunk`, plus
  `instance_id`, `folder_id`, `profile_type=workspace` to place it (upload.rs:95-124); the answer
  carries `id` (session) and `new_file_id` (REFERENCE:976-980). Without `instance_id` the bytes are
  uploaded but placed nowhere (REFERENCE:1036-1044): that is how a file is *replaced* — the
  session is then attached to the existing node with storage/{node}/update/ `from`.
- big files: create a session (upload.rs:227-256), send chunks POST upload/{id}/chunk/?order=N&size=S
  (1-based `order`, upload.rs:563-575; up to 3 in parallel, REFERENCE:990-993), POST
  upload/{id}/complete/ (upload.rs:880), poll GET upload/{id}/details/ until `session.status` is
  `stored` (placed) or `complete` (unplaced; REFERENCE:1007-1016); `assembly_failed` and
  `store_failed` are terminal (commands/upload.rs:751-757); then DELETE upload/{id}/ (REFERENCE:1018).

Why chunked and not the stream upload (upload.rs:1116-1160), measured: on the stand-in a 5 MB file
took 0.26 s chunked (6 requests) and 0.03 s streamed (2 requests), median of 5
(tests/deploy/test_fastio_upload_paths.py). The stream is faster, but a stream is one request that
must not be replayed after a 5xx or a timeout (the server may have stored it, upload.rs:1150-1153),
so one dropped connection fails the file and the deploy; a chunk is re-sent on its own. A quarter
second per big file is small next to a deploy, and the CLI itself sends files over 4 MB chunked
(commands/upload.rs:1326-1373), so chunked it is.
"""

from __future__ import annotations

import contextlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agentci.deploy.backends.base import BackendError
from agentci.deploy.backends.fastio.client import Client, FastioError

#: below both the docs' "under 4 MB" (REFERENCE:966) and the CLI's 4 MiB (upload.rs:86)
SINGLE_MAX = 4_000_000
#: the CLI's chunk size (commands/upload.rs:18); the plan's real limit is at /upload/limits/
CHUNK_SIZE = 4 * 1024 * 1024
PARALLEL_CHUNKS = 3
TERMINAL_FAILED = ("assembly_failed", "store_failed")


class Uploader:
    def __init__(
        self,
        client: Client,
        workspace_id: str,
        *,
        chunk_size: int = CHUNK_SIZE,
        timeout: float = 300.0,
    ) -> None:
        self.client, self.workspace_id = client, workspace_id
        self.chunk_size, self.timeout = max(256 * 1024, chunk_size), timeout
        self.chunked_uploads = 0

    def _place(self, folder_id: str) -> dict[str, str]:
        return {
            "instance_id": self.workspace_id,
            "folder_id": folder_id,
            "profile_type": "workspace",
        }

    def placed(self, folder_id: str, name: str, data: bytes, check: Any) -> str | None:
        """Upload a new file into a folder; returns its node id when the answer names it.
        A placed single-request upload creates a node, so it is replayed only when `check()`
        finds no node of that name (else the earlier attempt did land)."""
        fields = {
            "name": name,
            "size": str(len(data)),
            "action": "create",
            **self._place(folder_id),
        }
        if len(data) < SINGLE_MAX:
            answer = self._single(fields, data, idempotent=False, check=check)
            if answer.get("id") and not answer.get("new_file_id") and not answer.get("node"):
                answer = self._finish(str(answer["id"]), placed=True)
            return _file_id(answer)
        return _file_id(self._chunked(fields, data, placed=True))

    def unplaced(self, name: str, data: bytes) -> tuple[str, bool]:
        """Upload bytes that land nowhere yet; returns (session id, whether it was chunked).
        Replaying this is harmless: a lost attempt leaves an unused session, never a node."""
        fields = {"name": name, "size": str(len(data)), "action": "create"}
        if len(data) < SINGLE_MAX:
            answer = self._single(fields, data)
            return str(answer["id"]), False
        session = self._chunked(fields, data, placed=False, keep_session=True)
        return str(session["id"]), True

    def _single(self, fields: dict[str, str], data: bytes, **how: Any) -> dict[str, Any]:
        """The whole file in one multipart request, as the `chunk` field (upload.rs:116-124)."""
        chunk = {"chunk": (fields["name"], data, "application/octet-stream")}
        answer: dict[str, Any] = self.client.call(
            "POST", "upload/", kind="upload", data=fields, files=chunk, **how
        )
        return answer

    def forget(self, session_id: str) -> None:
        """DELETE upload/{id}/ (upload.rs:925-932): the clean-up step after a chunked upload."""
        with contextlib.suppress(BackendError):  # best effort: gone already, or the API is down
            self.client.call("DELETE", f"upload/{session_id}/", kind="upload-delete")

    def _chunked(
        self, fields: dict[str, str], data: bytes, *, placed: bool, keep_session: bool = False
    ) -> dict[str, Any]:
        self.chunked_uploads += 1
        # Creating a session places nothing until `complete`, so a replay only orphans a session.
        session = self.client.call("POST", "upload/", kind="upload-session", data=fields)
        sid = str(session["id"])
        done = False
        try:
            parts = [
                data[i : i + self.chunk_size] for i in range(0, len(data), self.chunk_size)
            ] or [b""]
            # Re-sending a chunk of the same `order` replaces it (the CLI retries chunks on 5xx,
            # upload.rs:657-672), so chunks count as idempotent.
            with ThreadPoolExecutor(
                max_workers=PARALLEL_CHUNKS, thread_name_prefix="fastio-chunk"
            ) as pool:
                list(pool.map(lambda p: self._chunk(sid, p[0] + 1, p[1]), enumerate(parts)))
            self.client.call(
                "POST",
                f"upload/{sid}/complete/",
                kind="upload-complete",
                idempotent=False,
                check=lambda: self._assembling(sid),
            )
            final = self._finish(sid, placed=placed)
            done = True
            return {**final, "id": sid}
        finally:
            if not (keep_session and done):
                self.forget(sid)

    def _chunk(self, sid: str, order: int, part: bytes) -> None:
        self.client.call(
            "POST",
            f"upload/{sid}/chunk/",
            kind="upload-chunk",
            params={"order": str(order), "size": str(len(part))},
            files={"chunk": ("chunk.bin", part, "application/octet-stream")},
        )

    def _session(self, sid: str, wait: int = 0) -> dict[str, Any]:
        params = {"wait": str(wait)} if wait else None
        answer = self.client.call(
            "GET",
            f"upload/{sid}/details/",
            kind="upload-details",
            params=params,
            timeout=wait + 30 if wait else None,
        )
        session = answer.get("session")
        return session if isinstance(session, dict) else answer

    def _assembling(self, sid: str) -> dict[str, Any] | None:
        """Did an earlier `complete` get through? Then the session moved past `uploading`."""
        status = str(self._session(sid).get("status", ""))
        return {"status": status} if status and status not in ("ready", "uploading") else None

    def _finish(self, sid: str, *, placed: bool) -> dict[str, Any]:
        """Poll the session (long-poll `wait`, REFERENCE:998-1003) until it is stored, bounded."""
        deadline = time.monotonic() + self.timeout
        goal = ("stored",) if placed else ("complete", "stored")
        while True:
            left = deadline - time.monotonic()
            session = self._session(sid, wait=int(max(1, min(60, left))))
            status = str(session.get("status", ""))
            if status in goal:
                return session
            if status in TERMINAL_FAILED:
                raise FastioError(
                    f"upload of {session.get('name', 'a file')} failed ({status}): "
                    f"{session.get('status_message') or 'no reason given'}"
                )
            if time.monotonic() >= deadline:
                raise FastioError(
                    f"upload session {sid} still {status or 'unknown'} after {self.timeout:g}s"
                )
            time.sleep(0.05)


def from_upload(session_id: str) -> str:
    """The `from` source of addfile/update (storage.rs:371-378, commands/files.rs:883-893)."""
    return json.dumps({"type": "upload", "upload": {"id": session_id}})


def _file_id(answer: dict[str, Any]) -> str | None:
    for key in ("new_file_id", "file_id"):
        if answer.get(key):
            return str(answer[key])
    node = answer.get("node")
    return str(node["id"]) if isinstance(node, dict) and node.get("id") else None
