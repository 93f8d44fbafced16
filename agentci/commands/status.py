"""What is deployed where: per agent the commit, sync (live vs git HEAD) and health; with several
environments and no --environment, every environment side by side."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentci.deploy.backends.base import Backend


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from agentci.commands.deploy import add_environment

    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument(
        "--workspace", metavar="PATH", help="local workspace directory (overrides workspace.path)"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    add_environment(parser)


def run(args: argparse.Namespace) -> int:
    from agentci.config import CONFIG_FILE, from_data
    from agentci.deploy.desired import load_desired
    from agentci.documents import load_document
    from agentci.errors import AgentciError
    from agentci.flows.deploy import environment
    from agentci.source import WorkTree

    root = Path(args.path).resolve()
    tree = WorkTree(root)
    config = from_data(
        load_document(tree, CONFIG_FILE).data if tree.size(CONFIG_FILE) is not None else None
    )
    chosen = environment(args.environment)
    names = (
        [config.environment(chosen).name]
        if chosen or len(config.all_environments()) == 1
        else list(config.all_environments())
    )
    if args.workspace and len(names) > 1:
        raise AgentciError(
            "--workspace names one local workspace; this repo has several environments",
            hint="add --environment NAME",
        )
    views: dict[str, dict[str, Any]] = {}
    for name in names:
        desired, why = None, ""
        try:
            desired = load_desired(root, None, name, check=False)
        except AgentciError as exc:
            why = exc.message.splitlines()[0]
        views[name] = environment_view(
            root, config.for_environment(name), desired, why, args.workspace
        )
    head = next((v["head"] for v in views.values() if v["head"]), None)
    if len(views) == 1:
        view = next(iter(views.values()))
        if args.format == "json":
            print(json.dumps({"environment": names[0], **view}, indent=2))
        else:
            print(
                f"{names[0]}: workspace {view['workspace']} ({view['backend']}); git HEAD "
                f"{'unknown' if view['error'] else (view['head'] or 'work tree')[:12]}"
            )
            from agentci.deploy.status import render_table

            print(render_table(view["agents"]) if view["agents"] else "no agents deployed")
            _print_denied(view["denied"])
        return 0
    if args.format == "json":
        print(json.dumps({"head": head, "environments": views}, indent=2))
    else:
        print(side_by_side(views, head))
    return 0


def environment_view(
    root: Path, config: Any, desired: Any, why: str, workspace: str | None
) -> dict[str, Any]:
    from agentci.deploy.backends.registry import open_workspace
    from agentci.deploy.desired import agent_area
    from agentci.deploy.plan import compare
    from agentci.deploy.status import MISSING, OUT_OF_SYNC, PROGRESSING, SYNCED, UNKNOWN, read_state

    backend = open_workspace(config, root, workspace)
    try:
        state = read_state(backend)
        names = sorted(
            set(state["agents"])
            | set(desired.agents if desired else ())
            | set(backend.live_areas("agents"))
        )
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
                sync = (
                    SYNCED
                    if not compare(want.area.hashes(backend.hash_algo), live)
                    else OUT_OF_SYNC
                )
            health = MISSING if live is None else _str(rec.get("health")) or PROGRESSING
            message = (
                "not in git"
                if desired and want is None
                else ("not deployed" if live is None else "")
            )
            rows.append(
                {
                    "name": name,
                    "commit": _str(rec.get("commit")),
                    "release": backend.live_release(agent_area(name)),
                    "sync": sync,
                    "health": health,
                    "time": _str(rec.get("deployed_at")),
                    "run_url": _str(rec.get("run_url")),
                    "message": message or why,
                }
            )
        denied = _denied_calls(backend, state, rows)
    finally:
        backend.close()
    return {
        "workspace": backend.describe(),
        "backend": backend.name,
        "head": desired.commit if desired else None,
        "error": why or None,
        "agents": rows,
        "denied": denied,
    }


def _print_denied(denied: dict[str, dict[str, Any]]) -> None:
    if denied:
        print("denied MCP tool calls since the last deploy (agentci mcp; .agentci/audit.log):")
        for name, seen in sorted(denied.items()):
            last = seen["last"]
            print(
                f"  {name}: {seen['count']} (last {last['time']} {last['tool']} {last['path']!r}: {last['rule']})"
            )


def side_by_side(views: dict[str, dict[str, Any]], head: str | None) -> str:
    """AGENT | env1: commit sync health | env2: ... — one line per agent."""
    envs = list(views)
    agents = sorted({r["name"] for v in views.values() for r in v["agents"]})
    cell = {
        (e, r["name"]): f"{(r.get('commit') or '-')[:12]} {r['sync']} {r['health']}"
        for e in envs
        for r in views[e]["agents"]
    }
    table = [["AGENT", *[e.upper() for e in envs]]]
    table += [[a, *[cell.get((e, a), "-") for e in envs]] for a in agents]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [f"git HEAD {(head or 'work tree')[:12]}"]
    lines += [f"{e}: {views[e]['workspace']} ({views[e]['backend']})" for e in envs]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    return "\n".join(lines)


def _denied_calls(
    backend: Backend, state: dict[str, Any], rows: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per agent, the MCP calls its server denied since the agent's last deploy (from the audit log)."""
    from agentci.mcp.audit import AUDIT_LOG, denied_since, iso_to_ts

    since = {
        name: ts
        for name, rec in state["agents"].items()
        if (ts := iso_to_ts(rec.get("deployed_at"))) is not None
    }
    denied = denied_since(backend.read(AUDIT_LOG), since) if since else {}
    for row in rows:
        row["denied_calls"] = denied.get(row["name"], {}).get("count", 0)
    return denied


def _str(value: object) -> str | None:
    """A field of the workspace's state file, which anyone with workspace access can edit."""
    return value if isinstance(value, str) else None
