"""Workspace storage by path: nodes, listings, reads, and writes that never leave a twin.

Endpoints follow MediaFire/fastio_cli `src/api/storage.rs` (file:line on each). Fast.io names
nodes by OpaqueId, not by path, and an upload with `action=create` adds a node even when one of
that name exists; so a write first looks the name up and, when it is there, replaces the node's
content in place (an unplaced upload attached with storage/{node}/update/ `from`, storage.rs:371-421),
which keeps one node per path at every moment. Twins found from earlier tools are healed: the
newest is kept and updated, the rest go to the trash.
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any

from agentci.deploy.backends.fastio.client import Client, FastioError
from agentci.deploy.backends.fastio.upload import Uploader, from_upload

PAGE_SIZE = 500  # one of the accepted sizes 100/250/500 (commands/files.rs:312-320)
MAX_PAGES = 10_000


def norm(path: str) -> str:
    return posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")


class Storage:
    def __init__(
        self, client: Client, workspace_id: str, uploader: Uploader, page_size: int = PAGE_SIZE
    ) -> None:
        self.client, self.workspace_id, self.uploader = client, workspace_id, uploader
        self.page_size = page_size
        self._ids: dict[str, str] = {"": "root"}

    def s(self, node: str, action: str) -> str:
        return f"workspace/{self.workspace_id}/storage/{node}/{action}/"

    # -- listing -----------------------------------------------------------------------
    def listing(self, node: str) -> list[dict[str, Any]]:
        """Every child of a folder, following the cursor (storage.rs:13-49: `page_size`, `cursor`).
        The answer's field names are not pinned by the CLI: nodes are read from `nodes`, `files`
        or `items` (a list, or a map keyed by id), the cursor from `next_cursor` or `pagination`."""
        out: list[dict[str, Any]] = []
        params: dict[str, str] = {"page_size": str(self.page_size)}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = self.client.call("GET", self.s(node, "list"), kind="list", params=params)
            out += _nodes(page)
            cursor, more = _cursor(page)
            if not cursor or more is False:
                if more is True:
                    raise FastioError(
                        f"listing of folder {node} says there are more pages but gives no cursor"
                    )
                return out
            if cursor in seen:
                raise FastioError(f"listing of folder {node} repeats cursor {cursor[:40]!r}")
            seen.add(cursor)
            params = {"page_size": str(self.page_size), "cursor": cursor}
        raise FastioError(f"listing of folder {node} has more than {MAX_PAGES} pages")

    def children(self, folder: str, name: str) -> list[dict[str, Any]]:
        """Nodes of that name, newest first."""
        found = [n for n in self.listing(folder) if n.get("name") == name]
        return sorted(
            found, key=lambda n: (str(n.get("modified") or ""), str(n.get("id"))), reverse=True
        )

    def tree(self, node: str, prefix: str = "") -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for n in self.listing(node):
            rel = f"{prefix}{n.get('name')}"
            if n.get("type") == "folder":
                out.update(self.tree(str(n["id"]), rel + "/"))
            elif rel not in out or str(n.get("modified") or "") > str(
                out[rel].get("modified") or ""
            ):
                out[rel] = n  # a twin: the newest is what agentci counts as live
        return out

    # -- paths -------------------------------------------------------------------------
    def node(self, path: str, create: bool = False) -> str | None:
        path = norm(path)
        if path in self._ids:
            return self._ids[path]
        parent_path, name = posixpath.split(path)
        parent = self.node(parent_path, create)
        if parent is None:
            return None
        found = self.children(parent, name)
        if found:
            node_id = str(found[0]["id"])
        elif create:
            node_id = self.mkdir(parent, name)
        else:
            return None
        self._ids[path] = node_id
        return node_id

    def forget(self, path: str) -> None:
        path = norm(path)
        for key in [k for k in self._ids if k == path or k.startswith(path + "/")]:
            del self._ids[key]

    # -- operations --------------------------------------------------------------------
    def mkdir(self, parent: str, name: str) -> str:
        """POST storage/{parent}/createfolder/ `name` (storage.rs:300-330). Without `force` the
        call returns the existing folder of that name (storage.rs:317-319): idempotent by design.
        Where the answer names no id, the folder is looked up."""
        answer = self.client.call(
            "POST", self.s(parent, "createfolder"), kind="createfolder", data={"name": name}
        )
        node = answer.get("node") or answer.get("folder") or answer
        if isinstance(node, dict) and node.get("id"):
            return str(node["id"])
        found = self.children(parent, name)
        if not found:
            raise FastioError(f"created folder {name!r} but cannot find it")
        return str(found[0]["id"])

    def read(self, node: str) -> bytes:
        """GET storage/{node}/read/ -> raw bytes (storage.rs:984-1002)."""
        return bytes(self.client.call("GET", self.s(node, "read"), kind="read", raw=True))

    def put(
        self,
        folder: str,
        name: str,
        data: bytes,
        known: dict[str, Any] | None = None,
        absent: bool = False,
    ) -> str:
        """Write `data` as the file `name` in `folder`, keeping exactly one node of that name.
        `known` is the node already looked up; `absent` says a fresh listing showed none."""
        existing = [known] if known else [] if absent else self.children(folder, name)
        if existing:
            keep = existing[0]
            self.replace(str(keep["id"]), name, data, keep)
            for twin in existing[1:]:
                self.trash(str(twin["id"]))
            return str(keep["id"])

        def landed() -> dict[str, Any] | None:
            found = self.children(folder, name)
            return {"node": found[0]} if found else None

        node_id = self.uploader.placed(folder, name, data, check=landed)
        if node_id is None:
            found = self.children(folder, name)
            if not found:
                raise FastioError(f"uploaded {name!r} but it is not in its folder")
            node_id = str(found[0]["id"])
            if len(found) > 1:
                for twin in found[1:]:
                    self.trash(str(twin["id"]))
        return node_id

    def replace(
        self, node: str, name: str, data: bytes, current: dict[str, Any] | None = None
    ) -> None:
        """New content for an existing file node (a new version of the same node): upload the bytes
        unplaced, then POST storage/{node}/update/ `from` (storage.rs:371-421). Re-sending the same
        update re-attaches the same bytes, so it may be replayed."""
        if (
            current
            and current.get("hash")
            and str(current.get("hash_algo", "md5")).lower() == "md5"
            and current["hash"] == hashlib.md5(data).hexdigest()
        ):
            return  # already that content (an earlier attempt got through)
        session, chunked = self.uploader.unplaced(name, data)
        try:
            self.client.call(
                "POST", self.s(node, "update"), kind="update", data={"from": from_upload(session)}
            )
        finally:
            if chunked:
                self.uploader.forget(session)

    def move(self, node: str, parent: str) -> None:
        """POST storage/{node}/move/ `parent` (storage.rs:332-349). Not idempotent in general; before
        replaying, the node's details show whether the earlier attempt moved it."""
        self.client.call(
            "POST",
            self.s(node, "move"),
            kind="move",
            data={"parent": parent},
            idempotent=False,
            check=lambda: {} if self.parent_of(node) == parent else None,
        )

    def copy(self, node: str, parent: str, name: str) -> None:
        """POST storage/{node}/copy/ `parent` (storage.rs:351-368); replayed only when the target
        folder has no node of that name yet (a replayed copy would add a twin)."""
        self.client.call(
            "POST",
            self.s(node, "copy"),
            kind="copy",
            data={"parent": parent},
            idempotent=False,
            check=lambda: {} if self.children(parent, name) else None,
        )

    def rename(self, node: str, name: str) -> None:
        """POST storage/{node}/update/ `name` (storage.rs:423-445); setting the same name twice is harmless."""
        self.client.call("POST", self.s(node, "update"), kind="update", data={"name": name})

    def parent_of(self, node: str) -> str | None:
        """GET storage/{node}/details/ (storage.rs:50-64)."""
        answer = self.client.call("GET", self.s(node, "details"), kind="details")
        info = answer.get("node") if isinstance(answer.get("node"), dict) else answer
        return str(info.get("parent")) if info.get("parent") else None

    def trash(self, node: str) -> None:
        """DELETE storage/{node}/delete/ moves it to the trash (storage.rs:446-461). A replay that
        finds the node already gone (404) is the same outcome."""
        try:
            self.client.call("DELETE", self.s(node, "delete"), kind="delete")
        except FastioError as exc:
            if exc.status != 404:
                raise

    def purge(self, node: str) -> None:
        """Trash, then DELETE storage/{node}/purge/ (storage.rs:478-495): gone for good."""
        self.trash(node)
        try:
            self.client.call("DELETE", self.s(node, "purge"), kind="purge")
        except FastioError as exc:
            if exc.status != 404:
                raise


def _nodes(page: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("nodes", "files", "items", "children"):
        value = page.get(key)
        if isinstance(value, list):
            return [n for n in value if isinstance(n, dict)]
        if isinstance(value, dict):
            return [{"id": k, **v} for k, v in value.items() if isinstance(v, dict)]
    return []


def _cursor(page: dict[str, Any]) -> tuple[str | None, bool | None]:
    raw = page.get("pagination")
    pag: dict[str, Any] = raw if isinstance(raw, dict) else {}
    cursor = page.get("next_cursor") or pag.get("next_cursor") or pag.get("cursor")
    more = page.get("has_more", pag.get("has_more"))
    return (str(cursor) if cursor else None), (more if isinstance(more, bool) else None)
