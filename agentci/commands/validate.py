"""Check manifests, prompts, tools, eval sets, swarm and secrets; report every finding at once.

Exit 0 when clean, 1 when there are errors (with --strict: warnings too), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from agentci.errors import EXIT_FAIL, EXIT_OK, UsageError

FORMATS = ("text", "json", "github", "sarif")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json, github (workflow annotations) or sarif (code scanning)",
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail the run too")
    parser.add_argument("--output", "-o", help="write the report to a file instead of stdout")


def use_color(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def run(args: argparse.Namespace) -> int:
    from agentci.findings import Severity
    from agentci.flows.run import Run
    from agentci.flows.validate import check
    from agentci.validate.output import render

    done = check(Run.open(args.path, event=False))
    findings = done.findings
    color = args.format == "text" and args.output is None and use_color(sys.stdout)
    text = render(findings, args.format, agents=done.agents, color=color)
    if args.output:
        try:
            from agentci import redact

            Path(args.output).write_text(redact.text(text), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    else:
        sys.stdout.write(text)
    failing = {Severity.ERROR, Severity.WARNING} if args.strict else {Severity.ERROR}
    return EXIT_FAIL if any(f.severity in failing for f in findings) else EXIT_OK
