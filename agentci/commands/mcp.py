"""Serve one agent's view of the workspace over the Model Context Protocol, enforcing its deployed policy.

stdio by default (an agent runtime starts `agentci mcp --agent NAME` as a subprocess), or
streamable HTTP with `--http HOST:PORT` (loopback unless --allow-remote). Every path is checked
against `.agentci/policies/<agent>.json` as deploy wrote it, re-read on each call; every call
is appended to the workspace's `.agentci/audit.log`. Backends: local.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentci.errors import AgentciError, UsageError

if TYPE_CHECKING:
    from agentci.config import Config
    from agentci.deploy.backends.base import Backend

SUPPORTED_BACKENDS = ("local",)
#: agentci.mcp.spec.Limits fields settable on the command line
LIMIT_FLAGS = [
    ("max_file_bytes", int, "N", "largest file read or written, in bytes"),
    ("max_list_entries", int, "N", "entries list_files returns at most"),
    ("max_search_results", int, "N", "ceiling of search_knowledge's limit"),
    ("max_lock_ttl", float, "SECONDS", "ceiling of acquire_lock's ttl_seconds"),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from agentci.mcp.spec import Limits

    d = Limits()
    parser.add_argument(
        "path", nargs="?", default=".", help="repository root, for agentci.yaml (default: .)"
    )
    parser.add_argument(
        "--agent", required=True, help="the deployed agent whose policy the server enforces"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workspace", metavar="PATH", help="local workspace directory (overrides workspace.path)"
    )
    where.add_argument(
        "--environment", metavar="NAME", help="serve the workspace of this environment"
    )
    parser.add_argument(
        "--http",
        metavar="HOST:PORT",
        help="serve streamable HTTP at http://HOST:PORT/mcp "
        "instead of stdio (HOST defaults to 127.0.0.1)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow --http on a non-loopback address (the server has no authentication)",
    )
    for flag, kind, metavar, what in LIMIT_FLAGS:
        default = getattr(d, flag)
        parser.add_argument(
            f"--{flag.replace('_', '-')}",
            type=kind,
            default=default,
            metavar=metavar,
            help=f"{what} (default {default:.0f})",
        )


def run(args: argparse.Namespace) -> int:
    from agentci.mcp.spec import Limits
    from agentci.mcp.tools import AgentTools

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", args.agent or ""):
        raise UsageError(
            f"--agent {args.agent!r} is not an agent name", hint="agent names are [a-z0-9-]+"
        )
    for flag, *_ in LIMIT_FLAGS:
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be at least 1")
    http = parse_http(args.http, args.allow_remote) if args.http else None
    root = check_deployed(
        open_environment(Path(args.path).resolve(), args.workspace, args.environment), args.agent
    )
    try:
        import mcp  # noqa: F401
    except ImportError:
        raise AgentciError(
            "agentci mcp needs the MCP SDK, which is not installed",
            hint="pip install 'agentci[mcp]'",
        ) from None
    limits = Limits(**{flag: getattr(args, flag) for flag, *_ in LIMIT_FLAGS})
    tools = AgentTools(root, args.agent, limits)
    from agentci.mcp import server

    if http:
        server.serve_http(tools, http[0], http[1], max_body=2 * limits.max_file_bytes + (64 << 10))
    else:
        print(
            f"agentci mcp: serving agent {args.agent!r} on {root} over stdio",
            file=sys.stderr,
            flush=True,
        )
        server.serve_stdio(tools)
    return 0


def open_environment(root: Path, workspace: str | None, environment: str | None) -> Backend:
    """The workspace backend for `--workspace`, `--environment` or agentci.yaml's default: one place to
    resolve it, so environments with their own backends plug in here."""
    from agentci.deploy.backends.registry import open_workspace

    config = _config(root)
    known = config.workspace.environment
    if environment and environment != known:
        raise AgentciError(
            f"unknown environment {environment!r}; agentci.yaml defines {known!r}",
            hint=f"use --environment {known}, or --workspace PATH for a local workspace",
        )
    return open_workspace(config, root, workspace)


def _config(root: Path) -> Config:
    from agentci.config import CONFIG_FILE, from_data
    from agentci.documents import load_document
    from agentci.source import WorkTree

    tree = WorkTree(root)
    return from_data(
        load_document(tree, CONFIG_FILE).data if tree.size(CONFIG_FILE) is not None else None
    )


def check_deployed(backend: Backend, agent: str) -> Path:
    """The local workspace root, once the agent is known to be deployed there (else a clear refusal)."""
    from agentci.deploy.backends.local import LocalBackend
    from agentci.deploy.desired import agent_area
    from agentci.mcp.policy import DEFAULT_DIR

    try:
        if not isinstance(backend, LocalBackend):
            raise AgentciError(
                f"agentci mcp serves workspaces on the {', '.join(SUPPORTED_BACKENDS)} backend; "
                f"this one is {backend.name} ({backend.describe()})",
                hint="run it where the workspace is a directory (--workspace PATH)",
            )
        policy = f"{DEFAULT_DIR}/{agent}.json"
        if backend.read(policy) is None or backend.live_files(agent_area(agent)) is None:
            raise AgentciError(
                f"agent {agent!r} is not deployed in {backend.describe()} ({policy} or agents/{agent}/ "
                "is missing there); the server enforces only a deployed policy",
                hint="deploy it first (agentci deploy), or point --workspace at where it is deployed",
                exit_code=1,
            )
        return backend.root
    finally:
        backend.close()


def parse_http(value: str, allow_remote: bool) -> tuple[str, int]:
    m = re.fullmatch(r"(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):)?(\d{1,5})", value.strip())
    if not m or not 0 < int(m.group(3)) < 65536:
        raise UsageError(f"--http {value!r}: expected HOST:PORT, e.g. 127.0.0.1:8765")
    host = m.group(1) or m.group(2) or "127.0.0.1"
    if not allow_remote and not _loopback(host):
        raise UsageError(
            f"--http {value!r} is not a loopback address; the server has no authentication",
            hint="serve on 127.0.0.1 (behind your own authenticating proxy), or pass --allow-remote",
        )
    return host, int(m.group(3))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
