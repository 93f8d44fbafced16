"""What is deployed where: per agent the commit, sync (live vs git HEAD) and health."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentci.deploy.backends.base import Backend


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument("--workspace", metavar="PATH", help="local workspace directory (overrides workspace.path)")
    parser.add_argument("--format", choices=["text", "json"], default="text")


def run(args: argparse.Namespace) -> int:
    from agentci.config import CONFIG_FILE, from_data
    from agentci.deploy.backends.registry import open_workspace
    from agentci.deploy.desired import agent_area, load_desired
    from agentci.deploy.plan import compare
    from agentci.deploy.status import (
        MISSING,
        OUT_OF_SYNC,
        PROGRESSING,
        SYNCED,
        UNKNOWN,
        read_state,
        render_table,
    )
    from agentci.documents import load_document
    from agentci.errors import AgentciError
    from agentci.source import WorkTree

    root = Path(args.path).resolve()
    desired, why = None, ""
    try:
        desired = load_desired(root, check=False)
        config = desired.config
    except AgentciError as exc:
        why = exc.message.splitlines()[0]
        tree = WorkTree(root)
        config = from_data(load_document(tree, CONFIG_FILE).data if tree.size(CONFIG_FILE) is not None else None)
    backend = open_workspace(config, root, args.workspace)
    try:
        state = read_state(backend)
        names = sorted(set(state["agents"]) | set(desired.agents if desired else ())
                       | set(backend.live_areas("agents")))
        rows = []
        for name in names:
            rec = state["agents"].get(name, {})
            live = backend.live_files(agent_area(name))
            want = desired.agents.get(name) if desired else None
            if desired is None:
                sync = UNKNOWN
            elif want is None or live is None:
                sync = OUT_OF_SYNC
            else:
                sync = SYNCED if not compare(want.area.hashes(backend.hash_algo), live) else OUT_OF_SYNC
            health = MISSING if live is None else _str(rec.get("health")) or PROGRESSING
            message = "not in git" if desired and want is None else ("not deployed" if live is None else "")
            rows.append({"name": name, "commit": _str(rec.get("commit")),
                         "release": backend.live_release(agent_area(name)), "sync": sync, "health": health,
                         "time": _str(rec.get("deployed_at")), "run_url": _str(rec.get("run_url")),
                         "message": message or why})
        denied = _denied_calls(backend, state, rows)
    finally:
        backend.close()
    if args.format == "json":
        print(json.dumps({"workspace": backend.describe(), "backend": backend.name,
                          "head": desired.commit if desired else None, "agents": rows}, indent=2))
    else:
        print(f"workspace {backend.describe()} ({backend.name}); git HEAD "
              f"{(desired.commit or 'work tree')[:12] if desired else 'unknown'}")
        print(render_table(rows) if rows else "no agents deployed")
        if denied:
            print("denied MCP tool calls since the last deploy (agentci mcp; .agentci/audit.log):")
            for name, seen in sorted(denied.items()):
                last = seen["last"]
                print(f"  {name}: {seen['count']} (last {last['time']} {last['tool']} {last['path']!r}: {last['rule']})")
    return 0


def _denied_calls(backend: Backend, state: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per agent, the MCP calls its server denied since the agent's last deploy (from the audit log)."""
    from agentci.mcp.audit import AUDIT_LOG, denied_since, iso_to_ts

    since = {name: ts for name, rec in state["agents"].items() if (ts := iso_to_ts(rec.get("deployed_at"))) is not None}
    denied = denied_since(backend.read(AUDIT_LOG), since) if since else {}
    for row in rows:
        row["denied_calls"] = denied.get(row["name"], {}).get("count", 0)
    return denied


def _str(value: object) -> str | None:
    """A field of the workspace's state file, which anyone with workspace access can edit."""
    return value if isinstance(value, str) else None
