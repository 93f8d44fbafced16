"""Run the real CLI as a child process and measure it from outside: wall clock and the
child's own peak memory (ru_maxrss from wait4), so a bound is checked by the harness, not
by the code under test. `TALLY` counts the runs of the hostile suite and the internal
errors among them (reported at the end of the session; it must stay 0)."""

from __future__ import annotations

import os
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


def run_measured(*args: str, cwd: Path, env: dict[str, str], kill_after: float = 120) -> Measured:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP)}
    full_env.update(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "agentci", *args], cwd=cwd, env=full_env, stdout=out, stderr=err
        )
        deadline = t0 + kill_after
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        run = Measured(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            wall,
            usage.ru_maxrss / 1024,
        )
    count(run.stdout + run.stderr)
    return run
