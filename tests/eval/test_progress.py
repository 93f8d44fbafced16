"""In CI logs (stderr not a terminal) eval prints a progress line at least every interval,
from a timer rather than case completions: checked through the real CLI against a slow
stand-in OpenAI server (tests/servers/openai_stub.py, 1.3 s per answer)."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agentci.eval.progress import DEFAULT_INTERVAL, interval_from_env
from tests.eval.conftest import simple_cases

LINE = re.compile(
    r"^  eval: (\d+)/(\d+) cases done \(\d+%\), (\d+) passed, (\d+) not passed; "
    r"[\d.]+ cases/s; \d+s elapsed$"
)


def _run_timed(
    args: list[str], env: dict[str, str], cwd: Path
) -> tuple[int, list[tuple[float, str]]]:
    """The CLI as a subprocess; every stderr line with the time it arrived."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "OPENAI_"))}
    full.update(env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentci", *args],
        cwd=cwd,
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    lines: list[tuple[float, str]] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append((time.monotonic(), line.rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    rc = proc.wait(timeout=120)
    reader.join(timeout=10)
    return rc, lines


def test_progress_lines_come_on_time_while_cases_are_slow(stub, eval_env, agent_repo):
    root = agent_repo(cases=simple_cases(4))
    stub.state.latency = 1.3  # every answer takes 1.3 s
    started = time.monotonic()
    rc, lines = _run_timed(
        ["eval", str(root), "--concurrency", "1", "--no-cache"],
        {**eval_env, "AGENTCI_PROGRESS_INTERVAL": "1"},
        root,
    )
    assert rc == 0, lines
    progress = [(t, LINE.match(text)) for t, text in lines if text.startswith("  eval: ")]
    assert all(m for _, m in progress), [text for _, text in lines]
    times = [started] + [t for t, _ in progress]
    # ~5.2 s of answers: a line every second, none late (startup included in the first gap).
    assert len(progress) >= 4, lines
    gaps = [b - a for a, b in itertools.pairwise(times[1:])]
    assert max(gaps) < 1.6, gaps
    counts = [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for _, m in progress if m]
    # The first line comes before the first answer (1.3 s): timed, not driven by cases.
    assert counts[0][0] == 0 and all(total == 4 for _, total, _ in counts)
    assert [d for d, _, _ in counts] == sorted(d for d, _, _ in counts)
    assert counts[-1][2] == counts[-1][0]  # every answer so far passed
    # The run's own summary line still comes after the timed lines, and then they stop.
    texts = [text for _, text in lines]
    last_timed = max(i for i, text in enumerate(texts) if LINE.match(text))
    assert texts[last_timed + 1].startswith("bot: 4/4 passed"), texts


def test_interval_setting_is_bounded():
    assert DEFAULT_INTERVAL == 10
    assert interval_from_env({}) == 10
    assert interval_from_env({"AGENTCI_PROGRESS_INTERVAL": "x"}) == 10
    assert interval_from_env({"AGENTCI_PROGRESS_INTERVAL": "nan"}) == 10
    assert interval_from_env({"AGENTCI_PROGRESS_INTERVAL": "-1"}) == 10
    assert interval_from_env({"AGENTCI_PROGRESS_INTERVAL": "0"}) == 0
    assert interval_from_env({"AGENTCI_PROGRESS_INTERVAL": "0.001"}) == pytest.approx(0.2)
    assert interval_from_env({"AGENTCI_PROGRESS_INTERVAL": "1e9"}) == 3600
