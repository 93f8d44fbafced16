"""tools.json: each inputSchema valid against its JSON Schema metaschema, unique tool names,
and capabilities that name a tool: one in tools.json or one of the workspace tools
(agentci.workspace_tools). Without a tools.json an unknown capability is only a warning: the
seed form names workspace tools there. (The MCP shape itself is the `tools` schema's job.)"""

from __future__ import annotations

from typing import Any

from agentci.documents import Document
from agentci.findings import Finding, error, warning
from agentci.validate.context import Context
from agentci.validate.metaschema import schema_errors
from agentci.workspace_tools import workspace_tool, workspace_tools


def tool_list(doc: Document | None) -> tuple[tuple[str | int, ...], list[Any]]:
    """(key-path prefix, tools) for both accepted shapes: a list, or {"tools": [...]}."""
    data = doc.data if doc else None
    if isinstance(data, list):
        return (), data
    if isinstance(data, dict) and isinstance(data.get("tools"), list):
        return ("tools",), data["tools"]
    return (), []


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    checked: set[str] = set()
    for agent in ctx.repo.agents:
        doc = ctx.repo.documents.get(agent.tools) if agent.tools else None
        prefix, tools = tool_list(doc)
        names = {t["name"] for t in tools if isinstance(t, dict) and isinstance(t.get("name"), str)}
        if doc is not None and doc.path not in checked:
            checked.add(doc.path)
            out += _check_tools(doc, prefix, tools)
        manifest = ctx.repo.documents[agent.manifest]
        for i, cap in enumerate(_capabilities(manifest)):
            if not isinstance(cap, str) or cap in names or workspace_tool(cap):
                continue
            line = manifest.line_of(["agent", "capabilities", i])
            if agent.tools:
                out.append(
                    error(
                        "unknown-capability",
                        agent.manifest,
                        line,
                        f"capability {cap!r} names no tool in {agent.tools} and no workspace tool",
                        "add the tool to tools.json, use a workspace tool (see the README's catalogue) "
                        "or remove the capability",
                    )
                )
            else:
                # The seed form: no tools.json, so capabilities name what the workspace serves.
                out.append(
                    warning(
                        "unknown-workspace-tool",
                        agent.manifest,
                        line,
                        f"capability {cap!r} is not a workspace tool (the agent has no tools.json), "
                        "so nothing will provide it",
                        "use one of: "
                        + ", ".join(workspace_tools())
                        + "; or add a tools.json that defines it",
                    )
                )
    return out


def _capabilities(doc: Document) -> list[Any]:
    spec = doc.data.get("agent") if isinstance(doc.data, dict) else None
    caps = spec.get("capabilities") if isinstance(spec, dict) else None
    return caps if isinstance(caps, list) else []


def _check_tools(doc: Document, prefix: tuple[str | int, ...], tools: list[Any]) -> list[Finding]:
    out: list[Finding] = []
    seen: dict[str, int] = {}  # name -> index of its first definition
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            continue
        name = tool.get("name")
        if isinstance(name, str):
            if name in seen:
                out.append(
                    error(
                        "duplicate-tool",
                        doc.path,
                        doc.line_of([*prefix, i, "name"]),
                        f"tool {name!r} is defined twice (first at line {doc.line_of([*prefix, seen[name], 'name'])})",
                        "give every tool a unique name",
                    )
                )
            else:
                seen[name] = i
        schema = tool.get("inputSchema")
        for err in schema_errors(schema):
            key_path = [*prefix, i, "inputSchema", *err.absolute_path]
            at = "inputSchema" + "".join(
                f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in err.absolute_path
            )
            msg = err.message if len(err.message) < 160 else err.message[:160] + "…"
            out.append(
                error(
                    "tool-input-schema",
                    doc.path,
                    doc.line_of(key_path),
                    f"tool {name!r}: {at} is not a valid JSON Schema: {msg}",
                    "fix the schema keyword; see https://json-schema.org/understanding-json-schema",
                )
            )
    return out
