"""All GitHub Actions runner I/O: outputs, job summary, annotations, masks, log groups.

Each function does nothing (and returns False) when its environment variable is unset,
so the same code runs on a laptop. Workflow commands are escaped as @actions/core does,
and untrusted text is printed between stop-commands markers so a model cannot issue
`::add-mask::` or `::error::` by writing it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from agentci import redact, safe_text
from agentci.origin import Origin

#: GitHub shows at most this many annotations of each type per step.
ANNOTATIONS_PER_TYPE = 10
#: GitHub drops a step summary larger than this (bytes).
SUMMARY_LIMIT = 1024 * 1024
#: Every output the Action writes; each is declared under `outputs:` in action.yml
#: (tests/github/test_outputs.py checks the two lists are the same).
OUTPUTS = ("pass-rate", "regressions", "verdict", "report-path", "comment-path", "deployed-sha")


@dataclass(frozen=True)
class Annotation:
    level: str  # error | warning | notice
    message: str
    file: str = ""
    line: int = 0
    col: int = 0
    title: str = ""


def in_actions(env: Mapping[str, str] | None = None) -> bool:
    return (env if env is not None else os.environ).get("GITHUB_ACTIONS") == "true"


def set_output(name: str, value: object, env: Mapping[str, str] | None = None) -> bool:
    """Append `name` to $GITHUB_OUTPUT; multi-line values use the `name<<DELIM` form."""
    return _append_kv("GITHUB_OUTPUT", name, value, env)


def set_outputs(values: Mapping[str, object], env: Mapping[str, str] | None = None) -> bool:
    return all([set_output(k, v, env) for k, v in values.items()])


@dataclass
class Outputs:
    """The Action outputs and job-summary sections of one run: collected as the steps go,
    written once by `write()` at the end (a later value of a name replaces an earlier one;
    each step adds one summary section)."""

    env: Mapping[str, str] | None = None
    values: dict[str, object] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)

    def set(self, values: Mapping[str, object]) -> None:
        unknown = sorted(set(values) - set(OUTPUTS))
        if unknown:  # a programming error: action.yml would not pass it on
            raise ValueError(f"output {unknown[0]!r} is not declared in action.yml")
        self.values.update(values)

    def summary(self, markdown: str) -> None:
        """One step's section of the job summary."""
        self.sections.append(markdown)

    @property
    def has_summary(self) -> bool:
        """True when the job summary is written (in Actions: GITHUB_STEP_SUMMARY is set)."""
        return bool((self.env if self.env is not None else os.environ).get("GITHUB_STEP_SUMMARY"))

    def write(self) -> bool:
        """Write what was collected (no-ops outside Actions); a second call writes nothing new.
        True when outputs were written."""
        sections, self.sections = self.sections, []
        values, self.values = self.values, {}
        for markdown in sections:
            append_summary(markdown, self.env)
        return set_outputs(values, self.env) if values else False


def _append_kv(var: str, name: str, value: object, env: Mapping[str, str] | None) -> bool:
    path = (env if env is not None else os.environ).get(var)
    if not path:
        return False
    text = redact.text("" if value is None else str(value))
    if "\n" in text or "\r" in text:
        import secrets

        delim = f"ghadelimiter_{secrets.token_hex(8)}"
        while delim in text:  # pragma: no cover - 64 random bits
            delim = f"ghadelimiter_{secrets.token_hex(8)}"
        record = f"{name}<<{delim}\n{text}\n{delim}\n"
    else:
        record = f"{name}={text}\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(record)
    return True


def append_summary(markdown: str, env: Mapping[str, str] | None = None) -> bool:
    """Append to $GITHUB_STEP_SUMMARY, keeping the step's file under GitHub's 1 MiB cap:
    what does not fit is cut at a line boundary with a note saying so."""
    path = (env if env is not None else os.environ).get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    used = Path(path).stat().st_size if Path(path).exists() else 0
    room = SUMMARY_LIMIT - used
    data = redact.text(markdown).encode("utf-8")
    if len(data) > room:
        note = (
            b"\n\n> **Summary cut at GitHub's 1 MiB limit.** The full results are in the "
            b"`agentci-results` artifact.\n"
        )
        keep = max(0, room - len(note))
        cut = data[:keep].decode("utf-8", errors="ignore")
        cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else ""
        data = cut.encode("utf-8") + note if room > len(note) else b""
    with open(path, "ab") as fh:
        fh.write(data)
    return True


def annotate(
    annotations: Iterable[Annotation],
    out: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Annotation]:
    """Print up to 10 annotations per level (GitHub shows no more); returns the rest so the
    caller can put them in the summary. Prints nothing outside GitHub Actions."""
    out = out or sys.stdout
    shown: dict[str, int] = {}
    rest: list[Annotation] = []
    active = in_actions(env)
    for a in annotations:
        if shown.get(a.level, 0) >= ANNOTATIONS_PER_TYPE:
            rest.append(a)
            continue
        shown[a.level] = shown.get(a.level, 0) + 1
        if active:
            props = {"file": a.file, "line": a.line or "", "col": a.col or "", "title": a.title}
            prop_text = ",".join(
                f"{k}={safe_text.command_property(str(v))}" for k, v in props.items() if v
            )
            message = redact.text(a.message)  # before the command escaping
            out.write(
                f"::{a.level}{' ' + prop_text if prop_text else ''}::{safe_text.command_data(message)}\n"
            )
    out.flush()
    return rest


#: Masking is half of redaction, so it lives there; offered here with the other commands.
add_mask = redact.add_mask


def print_untrusted(
    text: str, out: TextIO | None = None, env: Mapping[str, str] | None = None
) -> None:
    """Print text that may contain model output. In Actions, wrap it in stop-commands so
    nothing in it is taken as a workflow command."""
    out = out or sys.stdout
    if in_actions(env):
        import secrets

        token = secrets.token_hex(16)
        out.write(f"::stop-commands::{token}\n{redact.text(text)}\n::{token}::\n")
    else:
        text = redact.text(text)
        out.write(text if text.endswith("\n") else text + "\n")
    out.flush()


def group(title: str, out: TextIO | None = None, env: Mapping[str, str] | None = None) -> None:
    if in_actions(env):
        (out or sys.stdout).write(f"::group::{safe_text.command_data(title)}\n")


def endgroup(out: TextIO | None = None, env: Mapping[str, str] | None = None) -> None:
    if in_actions(env):
        (out or sys.stdout).write("::endgroup::\n")


def origin(env: Mapping[str, str] | None = None) -> Origin:
    """This run as GitHub Actions describes it (empty outside Actions)."""
    env = env if env is not None else os.environ
    run_id, repository = env.get("GITHUB_RUN_ID"), env.get("GITHUB_REPOSITORY")
    actor = env.get("GITHUB_ACTOR")
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    return Origin(
        actor=f"{actor} (GitHub Actions run {run_id or '?'})" if actor else None,
        run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id and repository else None,
        repository=repository or None,
    )
