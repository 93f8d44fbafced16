"""Print one of the JSON Schemas agentci ships, for editors (yaml-language-server, VS Code)."""

from __future__ import annotations

import argparse
import json

from agentci.schema import SCHEMAS, load_schema


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=sorted(SCHEMAS), help="which schema to print")


def run(args: argparse.Namespace) -> int:
    print(json.dumps(load_schema(args.name), indent=2))
    return 0
