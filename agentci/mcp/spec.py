"""What `agentci mcp` offers: the tools with their argument schemas, and the server's bounds.

Argument names are a contract any MCP client relies on: `read_file {path}`, `write_file {path,
content}`, `list_files {path}`, `delete_file {path}`, `move_file {from, to}`, `acquire_lock {path,
ttl_seconds?}`, `release_lock {path}`, `lock_status {path}`, `search_knowledge {query, limit?}`.
Kept apart from the tools' code so `agentci --help` reads the defaults without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_SEARCH_RESULTS = 5
DEFAULT_LOCK_TTL = 300.0


@dataclass(frozen=True)
class Limits:
    """Bounds of one server (all configurable on the command line; see `agentci mcp --help`)."""

    max_file_bytes: int = 1 << 20  # read/write/move, and each indexed knowledge file
    max_list_entries: int = 1000  # list_files
    max_search_results: int = 20  # search_knowledge's `limit` ceiling (default 5)
    max_lock_ttl: float = 3600.0  # acquire_lock's `ttl_seconds` ceiling (default 300)
    max_index_files: int = 5000  # knowledge files indexed for search_knowledge
    max_index_bytes: int = 64 << 20
    max_query_chars: int = 1000


class Failed(Exception):
    """An allowed call that could not be done (no such file, too large, lock busy...)."""

    def __init__(
        self, message: str, verdict: str = "error", data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.verdict, self.data = message, verdict, data or {}


@dataclass
class Outcome:
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    is_error: bool = False


def _path_arg(desc: str) -> dict[str, Any]:
    return {"type": "string", "description": desc}


_PATH = _path_arg("workspace path, e.g. /research/r1.md")
#: name -> (description, JSON Schema of the arguments)
TOOLS: dict[str, tuple[str, dict[str, Any]]] = {
    "read_file": (
        "Read a UTF-8 text file of the workspace.",
        {"type": "object", "properties": {"path": _PATH}, "required": ["path"]},
    ),
    "write_file": (
        "Create or replace a UTF-8 text file (parent directories are created).",
        {
            "type": "object",
            "properties": {"path": _PATH, "content": {"type": "string"}},
            "required": ["path", "content"],
        },
    ),
    "list_files": (
        "List a directory: the entries this agent may read or that lead to one.",
        {
            "type": "object",
            "properties": {"path": _path_arg("workspace directory, e.g. / or /research")},
            "required": ["path"],
        },
    ),
    "delete_file": (
        "Delete a file (not a directory).",
        {"type": "object", "properties": {"path": _PATH}, "required": ["path"]},
    ),
    "move_file": (
        "Move or rename a file; both paths must be writable.",
        {"type": "object", "properties": {"from": _PATH, "to": _PATH}, "required": ["from", "to"]},
    ),
    "acquire_lock": (
        "Take (or renew) the lock file at path, held by this agent until it expires or is released. "
        "Fails while another agent holds it.",
        {
            "type": "object",
            "properties": {
                "path": _PATH,
                "ttl_seconds": {
                    "type": "number",
                    "description": "seconds until the lock expires (default 300)",
                },
            },
            "required": ["path"],
        },
    ),
    "release_lock": (
        "Release a lock this agent holds.",
        {"type": "object", "properties": {"path": _PATH}, "required": ["path"]},
    ),
    "lock_status": (
        "Who holds the lock at path, and until when.",
        {"type": "object", "properties": {"path": _PATH}, "required": ["path"]},
    ),
    "search_knowledge": (
        "Ranked passages (BM25) from the knowledge deployed for this agent.",
        {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "limit": {"type": "integer", "description": "how many passages (default 5)"},
            },
            "required": ["query"],
        },
    ),
}
