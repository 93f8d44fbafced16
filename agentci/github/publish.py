"""Put a report where GitHub users look: job summary, step outputs, annotations, the
sticky PR comment and the `agentci` commit status. Each step degrades on its own: a token
that cannot write (a fork PR: 403) moves the comment into the job summary and says so,
and nothing here fails the job — the gate decides that.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from agentci.github import gha
from agentci.github.event import Event
from agentci.report.model import Report
from agentci.report.render import Renderer, marker_comment


@dataclass
class Published:
    comment: str = "skipped"  # created | updated | unchanged | skipped | denied | failed
    status: str = "skipped"  # set | skipped | denied | failed
    summary: bool = False
    outputs: bool = False
    annotations: int = 0
    notes: list[str] = field(default_factory=list)
    comment_md: str = ""  # the comment as rendered (posted or not), redacted


def annotations_for(report: Report) -> list[gha.Annotation]:
    level = {"error": "error", "warning": "warning"}
    out = [
        gha.Annotation(
            level.get(f.severity, "notice"),
            f.message + (f" (fix: {f.hint})" if f.hint else ""),
            f.path,
            f.line,
            title=f"agentci {f.rule}",
        )
        for f in report.findings
    ]
    for agent in report.agents:
        for case in agent.regressions:
            # Untrusted text in a workflow command: escaped by gha, and kept short.
            out.append(
                gha.Annotation(
                    "error",
                    f"{agent.name}: case {case.id} regressed: {case.reason[:200]}",
                    case.set,
                    case.line,
                    title="agentci regression",
                )
            )
    return out


def publish(
    report: Report,
    renderer: Renderer,
    event: Event | None,
    *,
    report_dir: Path,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    comment: bool = True,
    status: bool = True,
    status_context: str = "agentci",
    outputs: gha.Outputs | None = None,
) -> Published:
    """The report's section of the job summary and its outputs go into `outputs` (the run's
    one collector, written once at its end); without one they are written here."""
    env = env if env is not None else os.environ
    out = out or sys.stdout
    result = Published()
    own = outputs is None
    outputs = outputs if outputs is not None else gha.Outputs(env)
    report_dir.mkdir(parents=True, exist_ok=True)
    from agentci import redact

    comment_md = redact.text(renderer.comment(report))
    summary_md = redact.text(renderer.summary(report))
    (report_dir / "comment.md").write_text(comment_md, encoding="utf-8")
    result.comment_md = comment_md
    (report_dir / "report.md").write_text(summary_md, encoding="utf-8")

    annotations = annotations_for(report)
    overflow = gha.annotate(annotations, out=out, env=env)
    result.annotations = len(annotations) - len(overflow)
    if overflow:
        summary_md += (
            "\n### More annotations\n\nGitHub shows 10 per type per step; the rest:\n\n"
            + "\n".join(f"- {a.level}: {escape_location(a)}" for a in overflow)
            + "\n"
        )

    client = None
    if event is not None and (comment or status):
        try:
            from agentci.github.api import GitHub, GitHubError

            client = GitHub.from_env(env)
        except GitHubError as exc:
            result.notes.append(f"GitHub API unavailable: {exc.message}")
        if client is None:
            result.notes.append("no GITHUB_TOKEN: PR comment and commit status skipped")

    if client is not None and comment and event is not None and event.pr_number:
        result.comment = _comment(client, event.pr_number, comment_md, report, result)
        if result.comment in ("denied", "failed"):
            summary_md = (
                "> **agentci could not post the PR comment** (the token cannot write to this PR, "
                "as on fork PRs); the report is here instead.\n\n"
            ) + summary_md
    if client is not None and status and event is not None and event.head_sha:
        result.status = _status(client, event, report, result, status_context)

    outputs.summary(summary_md)
    result.summary = outputs.has_summary
    outputs.set(
        {
            "pass-rate": "" if report.pass_rate is None else f"{report.pass_rate:.4f}",
            "regressions": report.regressions,
            "verdict": report.verdict,
            "report-path": str((report_dir / "report.md").resolve()),
            "comment-path": str((report_dir / "comment.md").resolve()),
        }
    )
    result.outputs = outputs.write() if own else bool(env.get("GITHUB_OUTPUT"))
    return result


def escape_location(a: gha.Annotation) -> str:
    from agentci import safe_text

    where = f"{a.file}:{a.line}" if a.line else a.file
    return f"{safe_text.md_code(where)} {safe_text.md_inline(a.message, 300)}"


def _comment(client: object, number: int, body: str, report: Report, result: Published) -> str:
    from agentci.github.api import GitHub, GitHubError

    assert isinstance(client, GitHub)
    try:
        done = client.upsert_comment(number, body, marker_comment(report.marker))
        return done.action
    except GitHubError as exc:
        result.notes.append(f"PR comment not posted: {exc.message}")
        return "denied" if exc.forbidden else "failed"


def _status(client: object, event: Event, report: Report, result: Published, context: str) -> str:
    from agentci.github.api import GitHub, GitHubError

    assert isinstance(client, GitHub)
    rate = "" if report.pass_rate is None else f"pass rate {report.pass_rate * 100:.1f}%, "
    description = f"{report.verdict}: {rate}{report.regressions} regression(s)"
    if report.verdict == "neutral":
        why = report.gate_reasons[0] if report.gate_reasons else "nothing was evaluated"
        description = f"neutral, not a pass: {why}"[:140]  # GitHub's limit for a description
    try:
        client.set_status(
            event.head_sha or "", report.verdict, description, event.run_url, context=context
        )
        return "set"
    except GitHubError as exc:
        result.notes.append(f"commit status not set: {exc.message}")
        return "denied" if exc.forbidden else "failed"
