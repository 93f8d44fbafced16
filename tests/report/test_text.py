"""The human report on a terminal: plain text that copies back exactly (no markdown escapes,
HTML entities or invisible joiners), with model output still unable to drive the terminal;
chosen on a terminal or outside Actions, markdown kept for Actions logs and the PR comment."""

from __future__ import annotations

import copy
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from agentci.eval import results
from agentci.report import model, text
from tests.conftest import run_cli
from tests.report.conftest import load

SHA = "0123456789abcdef0123456789abcdef01234567"
EMAIL = "help-desk.team+refunds@example.co.uk"
NASTY = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202egnp.exe\u2066x\u2069 (see #12, @org/team, https://x.test/a_b)"


def _data() -> dict:
    data = copy.deepcopy(load("two_agents.json"))
    case = data["agents"][0]["cases"][0]  # the regression: its output is shown
    case["output"] = f"Write to {EMAIL} about commit {SHA}.\nsecond line {NASTY}\rFAKE: passed"
    case["id"] = "refund_window-*1*"
    return data


def test_text_report_copies_back_exactly_and_neutralises_escapes() -> None:
    out = text.report(model.build(results.from_json(_data()), run_url="https://x.test/runs/1"))
    assert out.startswith(f"agentci: FAIL  commit {SHA}  vs base origin/main\n")
    assert EMAIL in out and f"commit {SHA}." in out and "refund_window-*1*" in out
    assert "(see #12, @org/team, https://x.test/a_b)" in out
    for markup in ("\u2060", "&lt;", "&gt;", "&amp;", "\\-", "\\_", "\\*", "<pre>", "**", "`"):
        assert markup not in out, markup
    # Terminal escapes and bidi controls are shown, never sent.
    assert not any(c in out for c in "\x1b\x07\x9b\u202e\u2066\u2069\r")
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe\\u2066x\\u2069" in out
    assert "Regressions (passed on base, fail now):" in out and "gate: FAIL: " in out
    assert "1 regressions > max 0" in out


def test_eval_report_line_is_one_line_per_case() -> None:
    run = results.from_json(_data())
    out = text.eval_report(run, Path("/tmp/r.json"))
    assert not any(c in out for c in "\x1b\x07\x9b\u202e")
    assert out.splitlines()[-1] == "gate: FAILED; results: /tmp/r.json"
    assert all(not line.startswith("second line") for line in out.splitlines())


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(_data()))
    return path


def test_report_cli_picks_text_locally_and_markdown_in_actions_logs(tmp_path: Path) -> None:
    path = str(_write(tmp_path))
    local = run_cli("report", "--results", path, cwd=tmp_path, env={"GITHUB_ACTIONS": ""})
    assert local.returncode == 0, local.stderr
    assert local.stdout.startswith("agentci: FAIL") and EMAIL in local.stdout
    actions = run_cli("report", "--results", path, cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert "<!-- agentci:agentci -->" in actions.stdout  # inside stop-commands
    forced = run_cli("report", "--results", path, "--format", "markdown", cwd=tmp_path)
    assert forced.stdout.startswith("<!-- agentci:agentci -->")
    as_text = run_cli(
        "report",
        "--results",
        path,
        "--format",
        "text",
        cwd=tmp_path,
        env={"GITHUB_ACTIONS": "true"},
    )
    assert "agentci: FAIL" in as_text.stdout and "<!--" not in as_text.stdout


def test_report_cli_on_a_terminal_prints_text_even_in_actions(tmp_path: Path) -> None:
    path = str(_write(tmp_path))
    primary, secondary = pty.openpty()
    env = {**os.environ, "GITHUB_ACTIONS": "true", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentci", "report", "--results", path],
        stdout=secondary,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    os.close(primary)
    out = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    assert "agentci: FAIL" in out and "<!-- agentci" not in out and EMAIL in out
