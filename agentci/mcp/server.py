"""The MCP side: `AgentTools` served by the official `mcp` SDK's low-level `Server`.

The low-level server (not `MCPServer`, the SDK's decorator layer) because the tools' argument
names are a contract (`move_file {from, to}`: `from` cannot be a Python parameter) and the
input schemas are written out in `agentci.workspace_tools.TOOLS`. Transports as the SDK's
`MCPServer.run_stdio_async` / `run_streamable_http_async` use them
(mcp/server/mcpserver/server.py in mcp 2.3.0): `stdio_server()` + `Server.run`, and
`Server.streamable_http_app(host=...)` under uvicorn, which turns on the SDK's DNS-rebinding
protection (Host/Origin checks) for a loopback host.

Tool calls do blocking file I/O, so each runs in a worker thread (`anyio.to_thread`).
"""

from __future__ import annotations

import sys
from typing import Any

from agentci import __version__
from agentci.mcp.spec import TOOLS
from agentci.mcp.tools import AgentTools

INSTRUCTIONS = (
    "Files of the shared agent workspace, as the deployed policy lets agent {agent} see them. "
    "Paths are workspace paths such as /research/r1.md. Denied calls name the rule that refused them."
)


def build(tools: AgentTools) -> Any:
    import anyio
    import mcp.types as types
    from mcp.server import Server

    listed = [
        types.Tool(name=name, description=desc, input_schema=schema)
        for name, (desc, schema) in TOOLS.items()
    ]

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        out = await anyio.to_thread.run_sync(tools.call, params.name, params.arguments)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=out.text)],
            structured_content=out.data,
            is_error=out.is_error,
        )

    return Server(
        f"agentci-{tools.agent}",
        version=__version__,
        instructions=INSTRUCTIONS.format(agent=tools.agent),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        get_tool_input_schema=lambda name: TOOLS[name][1] if name in TOOLS else None,
    )


def serve_stdio(tools: AgentTools) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    server = build(tools)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)


def serve_http(tools: AgentTools, host: str, port: int, *, max_body: int) -> None:
    import anyio
    import uvicorn

    server = build(tools)
    app = server.streamable_http_app(host=host, max_request_body_size=max_body)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"agentci mcp: serving agent {tools.agent!r} at http://{shown}:{port}/mcp",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    anyio.run(uvicorn.Server(config).serve)
