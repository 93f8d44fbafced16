"""The workspace tool catalogue: the tools the workspace's MCP server gives every agent.

The seed articles write `capabilities: ["read_knowledge_base", "draft_email"]` with no
tools.json: capabilities there name workspace tools, not tools.json entries. The names and
arguments are the MCP server's own (`agentci.mcp.spec.TOOLS`, a light module), so validate,
the README's table and `agentci mcp` cannot disagree; this module adds the aliases.
"""

from __future__ import annotations

from agentci.mcp.spec import TOOLS

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
