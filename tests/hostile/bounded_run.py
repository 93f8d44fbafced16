"""Run the real CLI as a child process and measure it from outside: wall clock and the
child's own peak memory (ru_maxrss from wait4), so a bound is checked by the harness, not
by the code under test. `TALLY` counts the runs of the hostile suite and the internal
errors among them (reported at the end of the session; it must stay 0)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: env vars of the test process the child must not inherit (they would change what it does)
_DROP = ("GITHUB_", "OPENAI_", "ANTHROPIC_", "ACTIONS_", "RUNNER_", "AGENTCI_")


TALLY = {"runs": 0, "internal_errors": 0}


def count(output: str) -> None:
    TALLY["runs"] += 1
    if "internal error" in output or "Traceback" in output:
        TALLY["internal_errors"] += 1


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    max_rss_mb: float


#: A small launcher between the test process and the CLI. Linux starts a child's ru_maxrss at
#: its parent's RSS (exec keeps the high-water mark of the image it replaces), so a child
#: forked straight from a pytest worker that once loaded the embedded model would report
#: that worker's ~700 MB. Forked from this launcher, the CLI's peak is its own.
_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(*args: str, cwd: Path, env: dict[str, str], kill_after: float = 120) -> Measured:
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(_DROP) or k == "AGENTCI_CACHE_DIR"
    }
    full_env.update(env)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
    ):
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, rss.name, sys.executable, "-m", "agentci", *args],
            cwd=cwd,
            env=full_env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the CLI under it
            proc.wait()
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        peak_kb = float(rss.read() or "inf")  # a killed run has no measure: never passes a bound
        run = Measured(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            wall,
            peak_kb / 1024,
        )
    count(run.stdout + run.stderr)
    return run
