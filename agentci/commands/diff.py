"""Desired (git) vs live (workspace), per agent and file, by content hash.

Exit 0 in sync, 1 drift (a changed commit or a hand edit in the workspace), 2 error.
"""

from __future__ import annotations

import argparse
import json


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
    from agentci.flows.deploy import environment
    from agentci.flows.drift import drift
    from agentci.flows.run import Run
    from agentci.github.gha import print_untrusted

    run = Run.open(args.path, need_dir=False, event=False)
    done = drift(run, args.ref, environment(args.environment), args.workspace)
    if args.format == "json":
        print(json.dumps(done.data, indent=2))
    else:
        for text, untrusted in done.chunks:
            if untrusted:
                print_untrusted(text)
            else:
                print(text)
    return 0 if done.in_sync else 1
