from __future__ import annotations

import io
import re
from pathlib import Path

from agentci.github import gha
from agentci.github.event import load_event


def test_outputs_single_and_multiline(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {"GITHUB_OUTPUT": str(out)}
    assert gha.set_output("verdict", "pass", env)
    assert gha.set_output("report", "line 1\nline 2", env)
    text = out.read_text()
    assert text.startswith("verdict=pass\nreport<<ghadelimiter_")
    delim = re.search(r"report<<(\S+)\n", text).group(1)  # type: ignore[union-attr]
    assert text.endswith(f"\nline 1\nline 2\n{delim}\n")


def test_everything_is_a_noop_without_env(tmp_path: Path) -> None:
    buf = io.StringIO()
    assert not gha.set_output("x", "y", {})
    assert not gha.append_summary("hi", {})
    assert not gha.add_mask("secret", buf, {})
    rest = gha.annotate([gha.Annotation("error", "m", "f", 1)], buf, {})
    assert rest == [] and buf.getvalue() == ""


def test_summary_capped_at_one_mib_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    env = {"GITHUB_STEP_SUMMARY": str(path)}
    gha.append_summary("first part\n", env)
    gha.append_summary(("row é\n" * 300_000), env)
    data = path.read_bytes()
    assert len(data) <= gha.SUMMARY_LIMIT
    assert data.startswith(b"first part\n") and b"cut at GitHub's 1 MiB limit" in data
    data.decode("utf-8")  # never cut inside a character


def test_annotations_ten_per_type_and_escaped() -> None:
    buf = io.StringIO()
    env = {"GITHUB_ACTIONS": "true"}
    items = [
        gha.Annotation("error", f"bad {i}\nsecond line 100%", "a,b:c.yaml", i + 1)
        for i in range(14)
    ]
    items += [gha.Annotation("warning", "w", "x.yaml", 1)]
    rest = gha.annotate(items, buf, env)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 11 and len(rest) == 4
    assert lines[0] == "::error file=a%2Cb%3Ac.yaml,line=1::bad 0%0Asecond line 100%25"
    assert lines[-1].startswith("::warning file=x.yaml,line=1::")


def test_untrusted_text_cannot_issue_workflow_commands() -> None:
    buf = io.StringIO()
    gha.print_untrusted("::add-mask::x\n::error::pwned", buf, {"GITHUB_ACTIONS": "true"})
    lines = buf.getvalue().splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) >= 32 and lines[-1] == f"::{token}::"
    assert "::error::pwned" not in buf.getvalue().split(token)[0]


def test_add_mask_each_line() -> None:
    buf = io.StringIO()
    assert gha.add_mask("abc\ndef", buf, {"GITHUB_ACTIONS": "true"})
    assert buf.getvalue() == "::add-mask::abc\n::add-mask::def\n"


def test_event_fork_detection(tmp_path: Path) -> None:
    from tests.github.conftest import pr_event

    same = load_event(
        {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(pr_event(tmp_path))}
    )
    assert same is not None and same.pr_number == 7 and not same.is_fork
    assert same.base_sha == "b" * 40 and same.head_sha == "a" * 40
    fork = load_event(
        {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(pr_event(tmp_path, fork=True)),
        }
    )
    assert fork is not None and fork.is_fork
    assert load_event({}) is None
    push = load_event(
        {
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(pr_event(tmp_path)),
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REPOSITORY": "octo/app",
            "GITHUB_RUN_ID": "5",
        }
    )
    assert push is not None and push.is_default_branch_push
    assert push.run_url == "https://github.com/octo/app/actions/runs/5"
