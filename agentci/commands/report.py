"""Render results: a text report, the PR comment (markdown), the job summary, JUnit, SARIF or JSON.

Reads only results JSON (`agentci eval --output`), validation findings (`agentci validate
--format json`) and templates. On a terminal, or outside GitHub Actions, it prints the
report as plain text (`--format markdown` prints the markdown the PR would get); with
--post inside GitHub Actions it also writes the sticky comment, the job summary, the
outputs and the commit status.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentci.errors import AgentciError

if TYPE_CHECKING:
    from agentci.eval.gates import GateConfig

FORMATS = ["text", "markdown", "comment", "summary", "junit", "sarif", "json"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results",
        action="append",
        metavar="PATH",
        type=Path,
        help="results JSON (repeatable with --merge; default: .agentci/results.json)",
    )
    parser.add_argument(
        "--merge", action="store_true", help="join several shard results files into one report"
    )
    parser.add_argument(
        "--findings",
        metavar="PATH",
        type=Path,
        help="validation findings (agentci validate --format json)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="text: for a terminal; markdown/comment: the PR comment; summary: the full job summary"
        " (default: text on a terminal or outside GitHub Actions, else markdown)",
    )
    parser.add_argument(
        "--templates", metavar="DIR", help="override templates (same file names as templates/)"
    )
    parser.add_argument(
        "--output", "-o", metavar="PATH", type=Path, help="write here instead of stdout"
    )
    parser.add_argument(
        "--marker",
        help="sticky comment marker (default: report.marker in agentci.yaml, else agentci)",
    )
    parser.add_argument(
        "--post",
        action="store_true",
        help="in GitHub Actions: post the sticky comment, status, summary and outputs",
    )
    parser.add_argument(
        "--min-pass-rate",
        type=float,
        metavar="X",
        help="gate to recompute the verdict with (default: eval.gate in agentci.yaml, else 1.0)",
    )
    parser.add_argument(
        "--max-regressions",
        type=int,
        metavar="N",
        help="gate to recompute the verdict with (default: agentci.yaml, else 0)",
    )


def run(args: argparse.Namespace) -> int:
    from agentci import redact
    from agentci.config import CONFIG_FILE, from_data
    from agentci.documents import load_document
    from agentci.eval import results as results_mod
    from agentci.github import gha
    from agentci.github.event import load_event
    from agentci.github.publish import publish
    from agentci.report import formats, junit, load_findings, load_results, model, text
    from agentci.report.render import Renderer
    from agentci.source import WorkTree

    paths = args.results or [Path(".agentci/results.json")]
    event = load_event()
    if event is not None:  # in a workflow the checkout is the code under review
        _refuse_committed([*paths, *([args.findings] if args.findings else [])])
    findings = load_findings(args.findings) if args.findings else []
    config = from_data(
        load_document(WorkTree(Path(".")), CONFIG_FILE).data
        if Path(CONFIG_FILE).is_file()
        else None
    )
    results = load_results(paths, merge=args.merge, gate=_gate(config, args))
    report = model.build(
        results,
        findings,
        run_url=event.run_url if event else None,
        marker=args.marker or config.report.marker,
        max_output=config.report.max_output_chars,
    )
    renderer = Renderer(args.templates)
    fmt = args.format or (
        "text" if not args.output and text.wanted(sys.stdout, gha.in_actions()) else "markdown"
    )
    if fmt == "text":
        out = text.report(report)
    elif fmt in ("markdown", "comment"):
        out = renderer.comment(report)
    elif fmt == "summary":
        out = renderer.summary(report)
    elif fmt == "junit":
        out = junit.to_xml(results)
    elif fmt == "sarif":
        out = formats.sarif(results, findings)
    else:
        out = results_mod.dumps(results, pretty=True)
    if args.output:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(redact.text(out), encoding="utf-8")
        except OSError as exc:
            raise AgentciError(
                f"--output {args.output}: cannot write: {exc.strerror or exc}",
                hint="pass a writable file path",
            ) from None
    else:
        gha.print_untrusted(out)
    if args.post:
        if event is None:
            print(
                "agentci: --post: not in GitHub Actions (no GITHUB_EVENT_NAME); printed the report only",
                file=sys.stderr,
            )
        else:
            done = publish(report, renderer, event, report_dir=paths[0].parent)
            for note in done.notes:
                print(f"agentci: {note}", file=sys.stderr)
    return 0


def _refuse_committed(paths: list[Path]) -> None:
    """A results or findings file that came with the checkout was written by whoever wrote the
    commit: it is a claim, not this run's evidence."""
    from agentci.source import tracked_by_git

    existing = [p for p in paths if p.is_file()]
    for path in sorted(tracked_by_git(existing)) if existing else []:
        raise AgentciError(
            f"{path}: this file is committed in the repository, so it is not this run's result",
            hint="report on the file this run's `agentci eval --output` (or validate) wrote, "
            "outside the committed tree, e.g. under $RUNNER_TEMP",
        )


def _gate(config: Any, args: argparse.Namespace) -> GateConfig:
    """The gate is recomputed from the cases with thresholds from trusted input only (flags, else
    agentci.yaml, else the defaults): a results file is evidence, and its own `gate` block,
    thresholds included, is ignored (pass eval's --min-pass-rate/--max-regressions here too)."""
    from agentci.eval import gates

    cfg_gate = config.eval.gate
    return gates.resolve(
        cfg_gate.min_pass_rate, cfg_gate.max_regressions, args.min_pass_rate, args.max_regressions
    )
