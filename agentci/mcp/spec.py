"""What `agentci mcp` offers: the tools with their argument schemas (`TOOLS`, the catalogue in
`agentci.workspace_tools`), and the server's bounds.

Argument names are a contract any MCP client relies on: `read_file {path}`, `write_file {path,
content}`, `list_files {path}`, `delete_file {path}`, `move_file {from, to}`, `acquire_lock {path,
ttl_seconds?}`, `release_lock {path}`, `lock_status {path}`, `search_knowledge {query, limit?}`.
Kept apart from the tools' code so `agentci --help` reads the defaults without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentci.workspace_tools import TOOLS

__all__ = ["DEFAULT_LOCK_TTL", "DEFAULT_SEARCH_RESULTS", "TOOLS", "Failed", "Limits", "Outcome"]

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
