"""Check manifests, prompts, tools, eval sets, swarm and secrets. Exit 0 clean, 1 findings, 2 usage."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agentci.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument("--format", choices=["text", "json", "github", "sarif"], default="text")
    parser.add_argument("--strict", action="store_true", help="warnings fail the run too")
    parser.add_argument("--output", "-o", help="write the report to a file instead of stdout")


def run(args: argparse.Namespace) -> int:
    from agentci.findings import Severity
    from agentci.repo import load_repo
    from agentci.source import WorkTree
    from agentci.validate import validate
    from agentci.validate.output import render

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{args.path} is not a directory", hint="pass the repository root")
    repo = load_repo(WorkTree(root))
    findings = validate(repo)
    text = render(findings, args.format, agents=len(repo.agents), color=args.output is None and sys.stdout.isatty())
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    failing = {Severity.ERROR, Severity.WARNING} if args.strict else {Severity.ERROR}
    return 1 if any(f.severity in failing for f in findings) else 0
