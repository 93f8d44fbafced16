"""The workspace tool catalogue: the tools the workspace's MCP server gives every agent.

The seed articles (Fast.io's "AI Agent GitOps" pair; their YAML is in tests/fixtures/seed/)
write `capabilities: ["read_knowledge_base", "draft_email"]` with no
tools.json: capabilities there name workspace tools, not tools.json entries. `TOOLS` here is
the MCP server's own catalogue (names, descriptions, argument schemas: `agentci mcp` serves
exactly these), so validate, the README's table and the server cannot disagree; this module
also holds the aliases. It sits in the core layer so validate can read it without mcp.
"""

from __future__ import annotations

from typing import Any


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


def workspace_tools() -> dict[str, tuple[str, str]]:
    """name -> (arguments, what it does), in the server's order; optional arguments end in `?`."""
    out = {}
    for name, (description, schema) in TOOLS.items():
        required = set(schema.get("required", []))
        args = ", ".join(a if a in required else f"{a}?" for a in schema.get("properties", {}))
        out[name] = (args, description)
    return out


def workspace_tool(capability: str) -> str | None:
    """The catalogue tool a capability names (directly or by alias), or None."""
    if capability in TOOLS:
        return capability
    return ALIASES.get(capability)
