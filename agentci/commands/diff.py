"""Desired (git) vs live (workspace), per agent and file, by content hash.

Exit 0 in sync, 1 drift (a changed commit or a hand edit in the workspace), 2 error.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

MAX_DIFF_LINES = 40


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument("--ref", help="commit to compare with (default: HEAD)")
    parser.add_argument(
        "--workspace", metavar="PATH", help="local workspace directory (overrides workspace.path)"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    from agentci.commands.deploy import add_environment

    add_environment(parser)


def run(args: argparse.Namespace) -> int:
    from agentci.commands.deploy import environment_arg
    from agentci.deploy.backends.registry import open_workspace
    from agentci.deploy.desired import load_desired
    from agentci.deploy.plan import make_plan

    root = Path(args.path).resolve()
    desired = load_desired(root, args.ref, environment_arg(args), check=False)
    if not desired.agents:
        from agentci.errors import AgentciError

        raise AgentciError(
            f"{desired.label}: no agents found, so there is nothing to compare",
            hint="check the `agents:` globs in agentci.yaml",
        )
    backend = open_workspace(desired.config, root, args.workspace)
    try:
        plan = make_plan(backend, desired)
        if args.format == "json":
            print(
                json.dumps(
                    {
                        "environment": desired.environment,
                        "commit": desired.commit,
                        "workspace": backend.describe(),
                        "in_sync": not plan.drift,
                        "areas": [a.to_json() for a in plan.areas],
                    },
                    indent=2,
                )
            )
        else:
            print(
                f"diff {(desired.commit or 'work tree')[:12]} (git) vs {desired.environment}: "
                f"{backend.describe()} ({backend.name})"
            )
            files = {a.ref.key: a for a in desired.areas()}
            for ap in plan.areas:
                label = f"agent {ap.name}" if ap.kind == "agent" else ap.name
                note = " (live but not in git; deploy --prune removes it)" if ap.extra else ""
                note = note or (" (not deployed)" if ap.live is None else "")
                print(f"{label}: {ap.sync}{note}")
                for path, change in sorted(ap.changes.items()):
                    print(
                        f"  {'+' if change == 'added' else '-' if change == 'removed' else '~'} {path}"
                    )
                    area = files.get(ap.ref.key)
                    if change == "modified" and area is not None:
                        live = backend.read(f"{ap.ref.path}/{path}") or b""
                        _unified(live, area.files[path], path)
            print("in sync" if not plan.drift else "drift detected")
    finally:
        backend.close()
    if plan.drift:
        from agentci.deploy.notify import DRIFT, send

        changed = [
            {"name": a.name, "sync": a.sync, "health": "-", "release": a.live_release}
            for a in plan.areas
            if not a.in_sync or a.extra
        ]
        send(
            desired.config.notify,
            DRIFT,
            desired.environment,
            desired.commit,
            changed,
            "",
            lambda s: print(s, file=sys.stderr),
        )
    return 1 if plan.drift else 0


def _unified(live: bytes, want: bytes, path: str) -> None:
    try:
        a, b = live.decode("utf-8").splitlines(), want.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        print("    (binary files differ)")
        return
    from agentci.github.gha import print_untrusted
    from agentci.validate.output import printable

    lines = list(difflib.unified_diff(a, b, f"live/{path}", f"git/{path}", lineterm="", n=1))
    shown = [f"    {printable(line)}" for line in lines[:MAX_DIFF_LINES]]
    if len(lines) > MAX_DIFF_LINES:
        shown.append(f"    ... {len(lines) - MAX_DIFF_LINES} more lines")
    # Live files are written by agents and people: a context line such as "::add-mask::x" would
    # otherwise be a workflow command in the scheduled drift job, and escapes would drive the terminal.
    print_untrusted("\n".join(shown))
