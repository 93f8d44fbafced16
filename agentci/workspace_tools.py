"""The workspace tool catalogue: the tools the workspace's MCP server gives every agent.

The seed articles write `capabilities: ["read_knowledge_base", "draft_email"]` with no
tools.json: capabilities there name workspace tools, not tools.json entries. This is the
one list `validate` checks them against (and the README's catalogue table); the MCP
server (`agentci mcp`) serves these names with these arguments.
"""

from __future__ import annotations

#: name -> (arguments, what it does)
WORKSPACE_TOOLS: dict[str, tuple[str, str]] = {
    "list_files": ("path", "list the files below a workspace directory the agent may read"),
    "read_file": ("path", "read a workspace file the agent may read"),
    "write_file": ("path, content", "write a workspace file the agent may write"),
    "delete_file": ("path", "delete a workspace file the agent may write"),
    "move_file": (
        "source, destination",
        "move a file; the agent must be allowed to write both places",
    ),
    "acquire_lock": (
        "path, ttl_seconds?",
        "take a lock on a workspace path (expires; `lock.on_busy` sees it)",
    ),
    "release_lock": ("path", "release a lock the agent holds"),
    "lock_status": ("path", "who holds a lock on a path, and until when"),
    "search_knowledge": (
        "query, limit?",
        "ranked passages from the knowledge deployed for the agent (RAG)",
    ),
}

#: Other names people give the same tools (the articles' `read_knowledge_base` is the RAG query).
ALIASES: dict[str, str] = {
    "read_knowledge_base": "search_knowledge",
    "search_knowledge_base": "search_knowledge",
    "query_knowledge_base": "search_knowledge",
    "knowledge_search": "search_knowledge",
    "rag": "search_knowledge",
    "rag_search": "search_knowledge",
    "rag_query": "search_knowledge",
    "lock": "acquire_lock",
    "unlock": "release_lock",
}


def workspace_tool(capability: str) -> str | None:
    """The catalogue tool a capability names (directly or by alias), or None."""
    if capability in WORKSPACE_TOOLS:
        return capability
    return ALIASES.get(capability)
