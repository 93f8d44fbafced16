"""The tools one agent gets: files, locks and knowledge search, each call checked and audited.

Plain Python (no MCP SDK here): `AgentTools.call(name, arguments)` returns an `Outcome`, which
`agentci.mcp.server` turns into an MCP `CallToolResult` (`isError` when `outcome.is_error`).
The tools and their argument names are listed in `agentci.workspace_tools.TOOLS`. Paths are workspace
paths (`/research/r1.md`).

Order per call: arguments -> the deployed policy (read now) -> path text (`paths.clean`) ->
rules (`Policy.check`) -> the real file (`LocalFiles.resolve`, symlinks refused) -> the
operation, bounded by `Limits`. Writes go to a temporary file renamed over the target, so a
reader sees the old or the new content and a symlink at the target is replaced, not followed.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from agentci.files import write_atomic
from agentci.mcp import access
from agentci.mcp.audit import AuditLog
from agentci.mcp.paths import LocalFiles, Refused, clean
from agentci.mcp.spec import DEFAULT_SEARCH_RESULTS, TOOLS, Failed, Limits, Outcome


class AgentTools:
    def __init__(self, root: Path, agent: str, limits: Limits | None = None) -> None:
        from agentci.mcp.locks import LockTools

        self.root = Path(root).resolve()
        self.agent = agent
        self.limits = limits or Limits()
        self.files = LocalFiles(self.root)
        self.audit = AuditLog(self.root, agent)
        self.locks = LockTools(self)
        self._index_lock = threading.Lock()
        self._index: tuple[object, Any] | None = None
        self._handlers: dict[str, Callable[[access.Policy, dict[str, Any]], Outcome]] = {
            "read_file": self.read_file,
            "write_file": self.write_file,
            "list_files": self.list_files,
            "delete_file": self.delete_file,
            "move_file": self.move_file,
            "acquire_lock": self.locks.acquire,
            "release_lock": self.locks.release,
            "lock_status": self.locks.status,
            "search_knowledge": self.search_knowledge,
        }

    # -- the one entry point -------------------------------------------------------------
    def call(self, name: str, arguments: dict[str, Any] | None) -> Outcome:
        args = arguments if isinstance(arguments, dict) else {}
        asked = args.get("from") if name == "move_file" else args.get("path")
        shown = asked if isinstance(asked, str) else None
        extra = (
            {"to": args["to"]} if name == "move_file" and isinstance(args.get("to"), str) else {}
        )
        handler = self._handlers.get(name)
        try:
            if handler is None:
                raise Failed(f"unknown tool {name!r}; tools: {', '.join(TOOLS)}")
            policy = access.load(self.root, self.agent)
            out = handler(policy, args)
        except Refused as r:
            self.audit.record(name, shown, "denied", r.rule, r.reason, **extra)
            return Outcome(
                f"denied ({r.rule}): {r.path}: {r.reason}",
                {"denied": True, "rule": r.rule, "path": r.path, "reason": r.reason},
                True,
            )
        except Failed as f:
            self.audit.record(name, shown, f.verdict, detail=f.message, **extra)
            return Outcome(f.message, {"error": f.message, **f.data}, True)
        except OSError as exc:
            text = f"{name} failed: {exc.strerror or type(exc).__name__}"
            self.audit.record(name, shown, "error", detail=text, **extra)
            return Outcome(text, {"error": text}, True)
        except (
            Exception
        ) as exc:  # a bug: still audited, and the agent gets a tool error, not a hang
            text = (
                f"{name} failed: internal error ({type(exc).__name__}); please report it to agentci"
            )
            self.audit.record(name, shown, "error", detail=text, **extra)
            return Outcome(text, {"error": text}, True)
        self.audit.record(name, shown, "allowed", **extra)
        return out

    # -- helpers shared by the tools -----------------------------------------------------
    def target(
        self, policy: access.Policy, op: str, raw: object, *, respect_locks: bool = True
    ) -> tuple[str, Path]:
        """Clean path + rules + real location, or Refused. A write never replaces another
        agent's live lock file (only release_lock by its holder, or expiry, frees it)."""
        path = clean(raw)
        policy.check(op, path)
        real = self.files.resolve(path)
        if op == "write" and respect_locks:
            self.locks.check_not_held(path, real)
        return path, real

    def read_bytes(self, real: Path, path: str, limit: int) -> bytes | None:
        """The file's bytes (None when absent), never following a symlink, at most `limit`."""
        try:
            # O_NONBLOCK: a FIFO planted where a file should be must not hang the server.
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(real, flags)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if os.path.islink(real):
                raise Refused("symlink", path, "a symlink; symlinks are not followed") from None
            raise exc
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise Failed(f"{path} is a directory; use list_files")
            if not stat.S_ISREG(st.st_mode):
                raise Failed(f"{path} is not a regular file")
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise Failed(
                f"{path} is larger than the server's limit of {limit} bytes (--max-file-bytes)"
            )
        return data

    def replace(self, real: Path, data: bytes) -> None:
        write_atomic(real, data)

    # -- files -------------------------------------------------------------------------
    def read_file(self, policy: access.Policy, args: dict[str, Any]) -> Outcome:
        path, real = self.target(policy, "read", args.get("path"))
        data = self.read_bytes(real, path, self.limits.max_file_bytes)
        if data is None:
            raise Failed(f"{path}: no such file")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Failed(f"{path} is not UTF-8 text; read_file serves text files") from None
        return Outcome(text, {"path": path, "size": len(data), "content": text})

    def write_file(self, policy: access.Policy, args: dict[str, Any]) -> Outcome:
        content = args.get("content")
        if not isinstance(content, str):
            raise Failed("write_file needs `content`, a string")
        data = content.encode("utf-8")
        path, real = self.target(policy, "write", args.get("path"))
        if len(data) > self.limits.max_file_bytes:
            raise Failed(
                f"{path}: content of {len(data)} bytes is over the limit of "
                f"{self.limits.max_file_bytes} bytes (--max-file-bytes)"
            )
        if real.is_dir() and not real.is_symlink():
            raise Failed(f"{path} is a directory")
        self.replace(real, data)
        return Outcome(f"wrote {path} ({len(data)} bytes)", {"path": path, "size": len(data)})

    def delete_file(self, policy: access.Policy, args: dict[str, Any]) -> Outcome:
        path, real = self.target(policy, "write", args.get("path"))
        try:
            st = os.lstat(real)
        except FileNotFoundError:
            raise Failed(f"{path}: no such file") from None
        if stat.S_ISDIR(st.st_mode):
            raise Failed(f"{path} is a directory; delete_file removes files")
        os.unlink(real)
        return Outcome(f"deleted {path}", {"path": path, "deleted": True})

    def move_file(self, policy: access.Policy, args: dict[str, Any]) -> Outcome:
        src, real_src = self.target(policy, "write", args.get("from"))
        dst, real_dst = self.target(policy, "write", args.get("to"))
        try:
            st = os.lstat(real_src)
        except FileNotFoundError:
            raise Failed(f"{src}: no such file") from None
        if not stat.S_ISREG(st.st_mode):
            raise Failed(f"{src} is not a regular file; move_file moves files")
        if real_dst.is_dir() and not real_dst.is_symlink():
            raise Failed(f"{dst} is a directory; name the new file")
        real_dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(real_src, real_dst)
        return Outcome(f"moved {src} to {dst}", {"from": src, "to": dst})

    def list_files(self, policy: access.Policy, args: dict[str, Any]) -> Outcome:
        path = clean(args.get("path"))
        try:
            policy.check("read", path)
        except Refused:
            if not policy.leads_to_grant(path):
                raise
        real = self.files.resolve(path)
        if not real.is_dir():
            raise Failed(f"{path}: no such directory")
        entries: list[dict[str, Any]] = []
        truncated = False
        for name in sorted(os.listdir(real)):
            child = _child(path, name)
            if child is None or not _visible(policy, child):
                continue
            if len(entries) >= self.limits.max_list_entries:
                truncated = True
                break
            entries.append(self._entry(child, real / name))
        lines = [f"{e['path']}{'/' if e['type'] == 'directory' else ''}" for e in entries]
        more = f"\n(truncated at {self.limits.max_list_entries} entries)" if truncated else ""
        return Outcome(
            "\n".join(lines) + more if lines else f"{path}: empty",
            {"path": path, "entries": entries, "truncated": truncated},
        )

    def _entry(self, child: str, real: Path) -> dict[str, Any]:
        try:
            st = os.stat(self.files.resolve(child))
        except (OSError, Refused):
            return {"path": child, "type": "other"}
        if stat.S_ISDIR(st.st_mode):
            return {"path": child, "type": "directory"}
        return {"path": child, "type": "file", "size": st.st_size}

    # -- knowledge -----------------------------------------------------------------------
    def search_knowledge(self, policy: access.Policy, args: dict[str, Any]) -> Outcome:
        query, limit = args.get("query"), args.get("limit", DEFAULT_SEARCH_RESULTS)
        if not isinstance(query, str) or not query.strip():
            raise Failed("search_knowledge needs `query`, a non-empty string")
        if len(query) > self.limits.max_query_chars:
            raise Failed(f"query longer than {self.limits.max_query_chars} characters")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        if (
            not isinstance(limit, int)
            or isinstance(limit, bool)
            or not 1 <= limit <= self.limits.max_search_results
        ):
            raise Failed(f"`limit` must be an integer from 1 to {self.limits.max_search_results}")
        hits = self._knowledge_index(policy).search(query, limit)
        text = "\n\n".join(
            f"[{i + 1}] {h.path}:{h.line} (score {h.score:.2f})\n{h.text}"
            for i, h in enumerate(hits)
        )
        return Outcome(
            text or "no passage matches", {"query": query, "results": [h.to_json() for h in hits]}
        )

    def _knowledge_index(self, policy: access.Policy) -> Any:
        from agentci.mcp.knowledge_index import Index

        top = self.root / "knowledge"
        key = (os.path.realpath(top), policy.read, policy.write, policy.others_memory)
        with self._index_lock:
            if self._index is None or self._index[0] != key:
                self._index = (key, Index(dict(self._knowledge_docs(policy))))
            return self._index[1]

    def _knowledge_docs(self, policy: access.Policy) -> Iterator[tuple[str, str]]:
        try:
            real_top = self.files.resolve("/knowledge")
        except Refused:
            return
        files = total = 0
        for dirpath, dirnames, filenames in os.walk(real_top):
            dirnames.sort()
            rel = os.path.relpath(dirpath, real_top)
            for name in sorted(filenames):
                path = _child(
                    "/knowledge" if rel == "." else "/knowledge/" + Path(rel).as_posix(), name
                )
                data = self._indexable(policy, path, Path(dirpath, name)) if path else None
                if path is None or data is None:
                    continue
                if (
                    files >= self.limits.max_index_files
                    or total + len(data) > self.limits.max_index_bytes
                ):
                    return
                files, total = files + 1, total + len(data)
                yield path, data.decode("utf-8", "replace")

    def _indexable(self, policy: access.Policy, path: str, real: Path) -> bytes | None:
        """A knowledge file's bytes when the agent may read it and it is text within the size limit."""
        try:
            policy.check("read", path)
            data = self.read_bytes(real, path, self.limits.max_file_bytes)
        except (Refused, Failed):
            return None
        return None if data is None or b"\0" in data else data


def _child(parent: str, name: str) -> str | None:
    """The clean workspace path of an entry found on disk (None: a name no tool could ask for)."""
    try:
        return clean(parent.rstrip("/") + "/" + name)
    except Refused:
        return None


def _visible(policy: access.Policy, path: str) -> bool:
    try:
        policy.check("read", path)
        return True
    except Refused as r:
        return r.rule in ("no-read-grant",) and policy.leads_to_grant(path)
