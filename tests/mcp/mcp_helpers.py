"""Helpers for the MCP server tests: the seed swarm as a real git repo, deployed with the real CLI,
and the SDK's own client talking to `agentci mcp` as a subprocess (stdio or streamable HTTP)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from tests.conftest import commit_all, init_repo, run_cli

AGENT = """agent:
  name: {name}
  description: {name} of the seed swarm
  model: {{provider: local, name: smollm2-135m-instruct}}
  prompt: system_prompt.md
  knowledge: [../../knowledge]
  memory_path: /memory/{name}.json
  permissions: {{read: [{read}], write: [{write}]}}
{extra}"""

RESEARCHER = {
    "read": "/knowledge",
    "write": "/research, /locks",
    "extra": "  lock: {path: /locks/researcher.lock, on_busy: fail, timeout: 2}\n",
}
WRITER = {"read": "/knowledge, /research", "write": "/drafts, /locks", "extra": ""}
SWARM = """roles:
  - {name: researcher, agent: researcher, output_dir: /research, next: [writer]}
  - {name: writer, agent: writer, input_dir: /research, output_dir: /drafts}
"""
KNOWLEDGE = {
    "knowledge/refunds.md": "# Refunds\n\nRefunds are accepted within 30 days of delivery.\n\n"
    "Gift cards cannot be refunded.\n",
    "knowledge/shipping.md": "# Shipping\n\nOrders ship within five business days.\n\nExpress shipping costs extra.\n",
}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_agent(repo: Path, name: str, read: str, write_: str, extra: str = "") -> None:
    write(
        repo / "agents" / name / "agent.yaml",
        AGENT.format(name=name, read=read, write=write_, extra=extra),
    )
    write(repo / "agents" / name / "system_prompt.md", f"You are the {name}.\n")


def seed_swarm(repo: Path) -> Path:
    """The seed article's swarm: researcher writes /research, writer reads it and writes /drafts."""
    write(repo / "agentci.yaml", "workspace:\n  backend: local\n  path: .agentci/workspace\n")
    write_agent(repo, "researcher", RESEARCHER["read"], RESEARCHER["write"], RESEARCHER["extra"])
    write_agent(repo, "writer", WRITER["read"], WRITER["write"])
    write(repo / "swarm.yaml", SWARM)
    for rel, text in KNOWLEDGE.items():
        write(repo / rel, text)
    init_repo(repo)
    return repo


def deploy(repo: Path, ws: Path) -> subprocess.CompletedProcess[str]:
    proc = run_cli("deploy", str(repo), "--workspace", str(ws), "--no-smoke", "--no-writeback")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def redeploy(repo: Path, ws: Path, message: str) -> None:
    commit_all(repo, message)
    deploy(repo, ws)


def server_args(agent: str, ws: Path, *extra: str) -> list[str]:
    return ["-m", "agentci", "mcp", "--agent", agent, "--workspace", str(ws), *extra]


@contextlib.asynccontextmanager
async def stdio_client(agent: str, ws: Path, *extra: str) -> AsyncIterator[Any]:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=server_args(agent, ws, *extra), cwd=str(ws.parent)
    )
    async with Client(params, read_timeout_seconds=60) as client:
        yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def http_server(agent: str, ws: Path) -> Iterator[str]:
    """`agentci mcp --http 127.0.0.1:PORT` as a subprocess; yields its URL; stopped afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, *server_args(agent, ws, "--http", f"127.0.0.1:{port}")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=0.5),
            ):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"server did not start: {proc.stderr.read() if proc.stderr else ''}"
                )
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


async def call(client: Any, tool: str, **arguments: Any) -> Any:
    return await client.call_tool(tool, arguments)


def text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def audit_lines(ws: Path) -> list[dict[str, Any]]:
    path = ws / ".agentci" / "audit.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
