"""Render the PR comment, the job summary and the deployment status from templates/.

Templates are Jinja2 and escape by default: every `{{ value }}` that is not explicitly
marked safe goes through `safe_text.md_inline`, so a template author cannot forget to make
model output inert. Long reports are shrunk in steps (shorter outputs, fewer cases, no
case details) until they fit GitHub's limits, and the report says what was cut.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from agentci import safe_text
from agentci.errors import AgentciError
from agentci.report.model import Report

#: GitHub rejects issue comments longer than this many characters.
COMMENT_LIMIT = 65_536
#: GitHub ignores a step summary larger than 1 MiB (per step, in bytes).
SUMMARY_LIMIT = 1024 * 1024
WHERE_FULL = "the job summary of this run and the agentci-results artifact (results JSON)"


@dataclass(frozen=True)
class Level:
    """How much detail to show: per-case output characters, cases per section, findings."""

    output: int
    cases: int | None
    findings: int | None
    details: bool = True


def _levels(max_output: int) -> list[Level]:
    return [
        Level(max_output, None, None),
        Level(min(max_output, 300), 25, 100),
        Level(min(max_output, 120), 8, 30),
        Level(0, 0, 10, details=False),
    ]


def template_dirs(override: str | Path | None = None) -> list[Path]:
    """--templates DIR first (so one file can be overridden), then the packaged templates,
    then the repo's templates/ (editable installs have no agentci/templates)."""
    dirs: list[Path] = []
    if override:
        path = Path(override)
        if not path.is_dir():
            raise AgentciError(
                f"--templates {override}: not a directory", hint="pass a directory of *.md.j2 files"
            )
        dirs.append(path)
    packaged = importlib.resources.files("agentci") / "templates"
    if packaged.is_dir():
        dirs.append(Path(str(packaged)))
    repo_dir = Path(__file__).resolve().parents[2] / "templates"
    if repo_dir.is_dir():
        dirs.append(repo_dir)
    return dirs


class Renderer:
    """The report's templates. Jinja2 is imported and the environment built on first use, or
    ahead of it by `prepare` (the PR flow calls it on a thread while the model calls are in
    flight: ~70 ms of import and template compiling that would otherwise follow the eval)."""

    def __init__(self, templates: str | Path | None = None) -> None:
        self._dirs = template_dirs(templates)  # a bad --templates fails here, before any eval
        self._env: Any = None
        self._lock = threading.Lock()

    @property
    def env(self) -> Any:
        with self._lock:  # one build, whichever thread asks first
            if self._env is None:
                self._env = self._build()
            return self._env

    def prepare(self, *names: str) -> None:
        """Build the environment and compile `names` now (a template's errors are left for
        `render`, which reports them)."""
        env = self.env
        for name in names:
            with contextlib.suppress(Exception):
                env.get_template(name)

    def _build(self) -> Any:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in self._dirs]),
            finalize=_finalize,
            # finalize escapes for markdown and returns Markup, so autoescape's HTML pass
            # leaves it alone; what autoescape buys is that macros return Markup too.
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        env.filters.update(
            inline=lambda v, limit=0: Markup(safe_text.md_inline(v, limit)),
            block=lambda v, limit=0: Markup(safe_text.md_block(v, limit)),
            code=lambda v: Markup(safe_text.md_code(v)),
            pct=lambda v: Markup("–" if v is None else f"{float(v) * 100:.1f}%"),
            delta=_delta,
            url=_url,
            num=lambda v, digits=2: Markup("–" if v is None else f"{float(v):.{int(digits)}f}"),
        )
        return env

    def render(self, name: str, **context: Any) -> str:
        import jinja2

        try:
            template = self.env.get_template(name)
            return _tidy(template.render(**context))
        except jinja2.TemplateNotFound:
            raise AgentciError(f"template {name} not found", hint="check --templates DIR") from None
        except jinja2.TemplateError as exc:
            lineno = getattr(exc, "lineno", None)
            where = f"{getattr(exc, 'filename', None) or name}" + (f":{lineno}" if lineno else "")
            raise AgentciError(
                f"{where}: template error: {exc}", hint="fix the template or drop --templates"
            ) from None

    def comment(self, report: Report) -> str:
        return self._fit("pr_comment.md.j2", report, COMMENT_LIMIT, lambda s: len(s))

    def summary(self, report: Report) -> str:
        # The summary is where the comment points for the full report, so it keeps more.
        return self._fit(
            "summary.md.j2",
            report,
            SUMMARY_LIMIT - 4096,
            lambda s: len(s.encode("utf-8")),
            max_output=max(report.max_output, 4000),
        )

    def deploy_status(self, status: dict[str, Any], run_url: str | None = None) -> str:
        return self.render("deploy_status.md.j2", status=status, run_url=run_url)

    def _fit(
        self, name: str, report: Report, limit: int, size: Any, max_output: int | None = None
    ) -> str:
        text = ""
        for level in _levels(max_output or report.max_output):
            text = self.render(name, **_context(report, level))
            if size(text) <= limit:
                return text
        # Even the barest render is too long (thousands of agents or findings): hard cut
        # at a line boundary, then close what might be open so the note stays visible.
        note = f"\n\n</pre></details>\n\n> **Report cut at {limit:,} characters.** The full report is in {WHERE_FULL}.\n"
        room = limit - len(note) - 16
        cut = text[:room]
        while size(cut) > room:
            cut = cut[: max(0, len(cut) - (size(cut) - room) - 1)]
        return cut[: cut.rfind("\n") + 1] + note


def _context(report: Report, level: Level) -> dict[str, Any]:
    notes = list(report.notes)
    hidden_cases = 0
    agents = []
    for agent in report.agents:
        sections = {}
        for key in ("regressions", "new_failures", "still_failing", "fixes"):
            cases = getattr(agent, key)
            shown = cases if level.cases is None else cases[: level.cases]
            hidden_cases += len(cases) - len(shown)
            sections[key] = shown
        agents.append({"agent": agent, **sections})
    findings = report.findings if level.findings is None else report.findings[: level.findings]
    if hidden_cases:
        notes.append(f"{hidden_cases} case(s) not listed here to stay under GitHub's size limit.")
    if len(findings) < len(report.findings):
        notes.append(
            f"{len(report.findings) - len(findings)} validation finding(s) not listed here."
        )
    if level.output < report.max_output:
        notes.append(
            f"Model outputs shortened to {level.output} characters each."
            if level.output
            else "Case details left out."
        )
    if len(notes) > len(report.notes):  # something was cut
        notes.append(f"The full report is in {WHERE_FULL}.")
    return {
        "report": report,
        "agents": agents,
        "findings": findings,
        "level": level,
        "notes": notes,
        "marker": Markup(marker_comment(report.marker)),
        "chart": Markup(chart(report)),
    }


def marker_comment(marker: str) -> str:
    """The hidden line that finds our sticky comment again; one per config so two agentci
    jobs in one repository keep separate comments."""
    safe = re.sub(r"[^A-Za-z0-9_.:/-]", "-", marker)[:100] or "agentci"
    return f"<!-- agentci:{safe} -->"


def chart(report: Report) -> str:
    """A Mermaid xychart (GitHub renders it natively) of pass rates, head vs base."""
    agents = report.chart_agents
    if not agents:
        return ""
    names = ", ".join('"' + re.sub(r"[^A-Za-z0-9_. -]", "-", a.name)[:40] + '"' for a in agents)
    head = ", ".join(f"{(a.pass_rate or 0) * 100:.1f}" for a in agents)
    lines = [
        "```mermaid",
        "xychart-beta",
        '    title "Pass rate by agent (bars: head, line: base)"',
        f"    x-axis [{names}]",
        '    y-axis "pass rate (%)" 0 --> 100',
        f"    bar [{head}]",
    ]
    if all(a.base_pass_rate is not None for a in agents):
        base = ", ".join(f"{(a.base_pass_rate or 0) * 100:.1f}" for a in agents)
        lines.append(f"    line [{base}]")
    lines.append("```")
    return "\n".join(lines)


_PRE = re.compile(r"(<pre>.*?</pre>)", re.S)


def _tidy(text: str) -> str:
    """Collapse the blank lines template logic leaves behind, but never inside <pre>."""
    parts = _PRE.split(text)
    return "".join(p if i % 2 else re.sub(r"\n{3,}", "\n\n", p) for i, p in enumerate(parts))


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    if isinstance(value, bool) or value is None:
        return Markup("" if value is None else str(value).lower())
    if isinstance(value, (int, float)):
        return Markup(str(value))
    return Markup(safe_text.md_inline(value))


def _url(value: Any) -> Markup:
    """A link target from the environment (the run URL): kept only if plainly http(s)."""
    text = str(value or "")
    return Markup(text) if re.fullmatch(r"https?://[A-Za-z0-9._~:/?=&%+-]+", text) else Markup("")


def _delta(value: float | None) -> Markup:
    if value is None:
        return Markup("")
    return Markup(f"{value * 100:+.1f} pp")
