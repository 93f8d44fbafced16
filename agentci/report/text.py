"""The human report on a terminal (or a plain log outside GitHub Actions): plain text with
no markdown escapes, HTML entities or invisible joiners, so what a reader copies (a SHA, a
case id, an e-mail address in an answer) is what was there. Markdown stays for the PR
comment and the job summary (`agentci.report.render`).

Model output and PR-authored names are still untrusted: every value goes through `one_line`
or `lines` (the two sinks), which neutralise control characters and terminal escapes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from agentci import safe_text
from agentci.eval.records import RunResults
from agentci.report.model import AgentView, CaseView, Report


def wanted(stream: TextIO, in_actions: bool) -> bool:
    """Text (not markdown) for a human: on a terminal, or anywhere outside GitHub Actions."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or not in_actions


def one_line(value: object, limit: int = 160) -> str:
    """Untrusted text as one bounded line: escapes neutralised, line breaks as spaces."""
    text = safe_text.terminal(" ".join(("" if value is None else str(value)).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lines(value: object, limit: int = 600, indent: str = "      ") -> str:
    """Untrusted text as an indented block, line breaks kept, bounded."""
    # A lone CR would move the cursor back over what was shown: a line break here.
    text = ("" if value is None else str(value)).replace("\r\n", "\n").replace("\r", "\n")
    cut = len(text) - limit if limit and len(text) > limit else 0
    text = text[:limit] if cut else text
    body = "\n".join(
        indent + safe_text.terminal(line.replace("\t", " ")) for line in text.split("\n")
    )
    return body + (f"\n{indent}… ({cut:,} more characters)" if cut else "")


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


_WORD = {"pass": "passed", "neutral": "NEUTRAL (nothing evaluated: not a pass)"}


def eval_report(run: RunResults, output: Path, max_cases: int = 20) -> str:
    """What `agentci eval` prints: failing cases (regressions first), totals, the gate."""
    out: list[str] = []
    for a in run.agents:
        if a.skipped:
            continue
        bad = [c for c in a.cases if c.failing]
        bad.sort(key=lambda c: (c.change != "regression", c.status != "fail"))
        for c in bad[:max_cases]:
            tag = "REGRESSION" if c.change == "regression" else c.status.upper()
            why = c.error if c.status == "error" else "; ".join(c.failed_reasons)
            where = one_line(f"{a.name}/{c.id}  {c.set}:{c.line}", 240)
            out.append(f"  {tag:<10} {where}  {one_line(why or f'score {c.score}')}")
        if len(bad) > max_cases:
            out.append(f"  ... and {len(bad) - max_cases} more in {one_line(output, 400)}")
    t = run.totals
    out.append(
        f"{t.cases} cases: {t.passed} passed, {t.failed} failed, {t.errors} errors, {t.skipped} skipped"
        f" (pass rate {_rate(t.pass_rate)}); {t.regressions} regressions; {t.requests} requests,"
        f" {t.cached} cached; {t.duration_s:.1f}s"
    )
    for r in run.trust.refused:
        out.append(f"  REFUSED    {one_line(r.reason, 400)}")
    word = _WORD.get(run.gate.verdict, "FAILED")
    out.append(f"gate: {word}; results: {one_line(output, 400)}")
    return "\n".join(out) + "\n"


def _case(c: CaseView, tag: str, max_output: int) -> list[str]:
    out = [f"  {tag:<10} {one_line(c.agent)}/{one_line(c.id)}  {one_line(c.set)}:{c.line}"]
    if c.reason:
        out.append(f"      why:      {one_line(c.reason, 400)}")
    out.append(f"      input:    {one_line(c.input, 400)}")
    if c.expected is not None:
        out.append(f"      expected: {one_line(c.expected, 400)}")
    out.append("      output:")
    out.append(lines(c.output or "(empty)", max_output, indent="        "))
    return out


def _agent_line(a: AgentView) -> str:
    if a.skipped:
        return f"  {one_line(a.name, 60):<24} skipped: {one_line(a.skipped, 200)}"
    if not a.changed:
        return f"  {one_line(a.name, 60):<24} unchanged"
    base = ""
    if a.base_pass_rate is not None:
        base = f"  (base {_rate(a.base_pass_rate)}, {a.delta * 100 if a.delta else 0:+.1f} pp)"
    return (
        f"  {one_line(a.name, 60):<24} {_rate(a.pass_rate):>6}  {a.passed}/{a.cases} passed,"
        f" {a.failed} failed, {a.errors} errors{base}  [{one_line(f'{a.provider}:{a.model}', 80)}]"
    )


def report(rep: Report, max_cases: int = 20) -> str:
    """The whole report (what the PR comment says) as plain text for a terminal or a log."""
    word = {"pass": "PASS", "fail": "FAIL", "neutral": "NEUTRAL (not a pass)"}.get(
        rep.verdict, "ERROR (the eval did not finish)"
    )
    head = f"agentci: {word}"
    if rep.commit:
        head += f"  commit {one_line(rep.commit, 64)}"
    if rep.base:
        head += f"  vs base {one_line(rep.base, 120)}"
    out = [head]
    if rep.agents:
        out += ["", "Agents:", *(_agent_line(a) for a in rep.agents)]
    sections = (
        ("Regressions (passed on base, fail now):", "regressions", "REGRESSION"),
        ("New failures:", "new_failures", "FAIL"),
        ("Still failing:", "still_failing", "FAIL"),
        ("Fixed:", "fixes", "FIXED"),
    )
    for title, key, tag in sections:
        cases = [c for a in rep.agents for c in getattr(a, key)]
        if not cases:
            continue
        out += ["", title]
        for c in cases[:max_cases]:
            out += _case(c, "ERROR" if c.status == "error" else tag, rep.max_output)
        if len(cases) > max_cases:
            out.append(f"  ... and {len(cases) - max_cases} more (see the results JSON)")
    if rep.findings:
        out += ["", "Validation findings:"]
        for f in rep.findings[:100]:
            where = f"{one_line(f.path)}:{f.line}" if f.line else one_line(f.path)
            out.append(
                f"  {f.severity:<7} {where}  {one_line(f.message, 300)}  [{one_line(f.rule)}]"
            )
            if f.hint:
                out.append(f"          fix: {one_line(f.hint, 300)}")
    extra = [*rep.cost_lines, *rep.refused, *rep.config_changes, *rep.notes]
    if extra:
        out += ["", "Notes:", *(f"  - {one_line(n, 400)}" for n in extra)]
    reasons = "; ".join(rep.gate_reasons)
    out += ["", f"gate: {word}" + (f": {one_line(reasons, 600)}" if reasons else "")]
    if rep.run_url:
        out.append(f"run: {one_line(rep.run_url, 300)}")
    return "\n".join(out) + "\n"
