"""The report step: one report from the run's results and findings, put where people look —
the sticky PR comment, the commit status and the job summary in Actions; the terminal and
`.agentci/report.md` on a laptop."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentci.flows.run import Run, say

if TYPE_CHECKING:
    from agentci.eval.records import RunResults
    from agentci.report.model import Report
    from agentci.report.render import Renderer


@dataclass
class ReportRequest:
    comment: bool = True  # post the sticky PR comment (on PR events)
    status: bool = True  # set the commit status
    status_context: str = "agentci"


def build(
    run: Run, results: RunResults | None, findings: list[dict[str, Any]], notes: list[str]
) -> Report:
    """The report of this run: `results` None means the eval did not finish."""
    from agentci.report import model

    config = run.repo.config.report
    report = model.build(
        results,
        findings,
        run_url=run.event.run_url if run.event else None,
        marker=config.marker,
        max_output=config.max_output_chars,
    )
    report.notes.extend(notes)
    report.incomplete = results is None
    return report


def show(run: Run, report: Report, renderer: Renderer, req: ReportRequest) -> None:
    """In Actions: publish (comment, status, annotations, summary section, outputs); locally:
    write `.agentci/report.md`. Either way print the comment's text."""
    from agentci import redact
    from agentci.github import gha
    from agentci.github.publish import publish
    from agentci.report import text

    event = run.event
    report_dir = run.root / ".agentci"
    if event is None:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "report.md").write_text(
            redact.text(renderer.summary(report)), encoding="utf-8"
        )
        comment_md = ""
    else:
        done = publish(
            report,
            renderer,
            event,
            report_dir=report_dir,
            comment=event.is_pr and req.comment,
            status=req.status,
            status_context=req.status_context,
            outputs=run.outputs,
        )
        say(
            f"report: comment {done.comment}, status {done.status}, summary {'written' if done.summary else 'skipped'}, "
            f"{done.annotations} annotation(s)"
        )
        for note in done.notes:
            say(note)
        comment_md = done.comment_md
    # A person (a terminal, or anywhere outside Actions) reads plain text; an Actions log the comment.
    if text.wanted(sys.stdout, gha.in_actions()):
        gha.print_untrusted(text.report(report))
    else:
        gha.print_untrusted(comment_md or renderer.comment(report))
