"""Deploy to environment TO exactly the commit that environment FROM runs, Synced and Healthy.

Refuses (exit 1) when FROM runs a mix of commits, has a Degraded or OutOfSync agent, or when
TO declares `promote_from` naming another environment. Takes deploy's flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", metavar="FROM", help="the environment whose live commit is promoted"
    )
    parser.add_argument("target", metavar="TO", help="the environment to deploy it to")
    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change on TO; change nothing"
    )
    parser.add_argument(
        "--no-writeback", action="store_true", help="do not commit deployment-status.json"
    )
    parser.add_argument(
        "--no-smoke", action="store_true", help="skip the post-deploy smoke conversation"
    )
    parser.add_argument(
        "--prune", action="store_true", help="remove live agents of TO that are not in the commit"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")


def run(args: argparse.Namespace) -> int:
    from agentci.commands.deploy import deploy_and_show
    from agentci.config import CONFIG_FILE, from_data
    from agentci.deploy.promote import check_route, live_commit
    from agentci.documents import load_document
    from agentci.flows.deploy import DeployRequest, log
    from agentci.source import WorkTree

    root = Path(args.path).resolve()
    tree = WorkTree(root)
    config = from_data(
        load_document(tree, CONFIG_FILE).data if tree.size(CONFIG_FILE) is not None else None
    )
    check_route(config, args.source, args.target)
    commit = live_commit(root, args.source)
    log(f"promote: {args.source} runs {commit[:12]}, Synced and Healthy")
    req = DeployRequest(
        ref=commit,
        environment=args.target,
        dry_run=args.dry_run,
        prune=args.prune,
        smoke=not args.no_smoke,
        writeback=not args.no_writeback,
        promoted_from=args.source,
    )
    return deploy_and_show(str(root), req, args.format)
