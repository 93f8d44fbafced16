"""The `agentci` entry point: parse argv, dispatch to agentci.commands.<name>, map errors to exits.

This is the one error boundary (STYLE habit 3): an AgentciError prints its message and
hint; anything else prints where to report it, with the traceback only under --debug.
Command modules stay import-light so `agentci validate` starts fast.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from agentci import __version__
from agentci.errors import EXIT_USAGE, AgentciError, internal_error_text

#: command name -> one-line help. Each lives in agentci/commands/<name>.py with
#: `add_arguments(parser)` and `run(args) -> int`.
COMMANDS: dict[str, str] = {
    "init": "scaffold a working example repo",
    "validate": "check manifests, prompts, tools, evals and secrets",
    "eval": "run golden sets, compare with the base ref, gate",
    "report": "render results: markdown, PR comment, job summary, JUnit, SARIF",
    "diff": "desired (git) vs live (workspace)",
    "deploy": "reconcile the workspace with the repo and write status",
    "status": "what is deployed where: sync and health per agent",
    "mcp": "serve one agent's view of the workspace over MCP, enforcing its deployed policy",
    "promote": "deploy to one environment the commit another runs, Synced and Healthy",
    "ci": "what the GitHub Action runs: picks the steps from the event",
    "schema": "print a JSON Schema (agent, tools, swarm, eval-set, config)",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole CLI, or (`only`) one command's arguments in full and the others by name:
    importing all eleven command modules costs `agentci validate` more than checking the
    example does (init alone pulls in importlib.resources)."""
    parser = argparse.ArgumentParser(
        prog="agentci",
        description="GitOps for AI agents: validate, evaluate, report, deploy.",
    )
    parser.add_argument("--version", action="version", version=f"agentci {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks for unexpected errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text)  # listed in --help; never parses
            continue
        module = importlib.import_module(f"agentci.commands.{name}")
        p = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip())
        p.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # deepeval phones home unless told not to; agentci contacts only endpoints the user configured.
    os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "1")
    os.environ.setdefault("DEEPEVAL_UPDATE_WARNING_OPT_IN", "0")
    os.environ.setdefault("ERROR_REPORTING", "0")
    # A command builds a heap that lives until it exits (parsed documents, 2,000 planned
    # cases, their results), so the default thresholds (700, 10, 10) re-scan a growing heap
    # again and again: a third of `validate` on 1,000 agents, ~40 ms of parsing a
    # 2,000-case set. Collections still run, every 100,000 allocations: cyclic garbage
    # stays bounded (peak RSS of a 2,000-case eval at c=256: 61 MB, as before).
    gc.set_threshold(100_000, 50, 100)
    from agentci import redact

    # Before the first line is printed: learn (and in Actions, mask) every credential value,
    # and route stdout/stderr through the one redaction step.
    redact.learn_defaults()
    with redact.guarded_streams():
        return _main(argv)


def entry() -> NoReturn:
    """The `agentci` program (console script and `python -m agentci`): `main`, then exit.

    The process ends right after, so its heap is frozen first: the interpreter's last
    collection then skips every object the command built (measured: `agentci ci` on a
    50-agent repo exits in 10-20 ms instead of 70-80 ms). Objects are still freed and files closed as usual;
    nothing agentci writes depends on a finalizer (results, caches and outputs are written
    and closed before `main` returns). In-process callers of `main` (tests, the MCP
    server) are not affected."""
    from agentci import heap

    heap.one_shot()
    code = main()
    gc.freeze()
    raise SystemExit(code)


def _command(argv: Sequence[str]) -> str | None:
    """The command argv names, when it is certain: the first word, after global flags only."""
    for arg in argv:
        if arg in ("--debug", "-h", "--help", "--version"):
            if arg != "--debug":
                return None
            continue
        return arg if arg in COMMANDS else None
    return None


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser(_command(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args._run(args))
    except AgentciError as exc:
        print(f"agentci: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("agentci: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if getattr(args, "debug", False):
            # Printed here, inside the redacting streams: a traceback re-raised past them
            # would reach the terminal (and the Actions log) unredacted.
            import traceback

            traceback.print_exc(file=sys.stderr)
            return EXIT_USAGE
        print(internal_error_text(exc), file=sys.stderr)
        return EXIT_USAGE
