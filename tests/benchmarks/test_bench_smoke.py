"""The benchmark entry point runs and writes its JSON (the numbers themselves live in benchmarks/RESULTS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_validate_bench_writes_json(tmp_path):
    out = tmp_path / "latest.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--only",
            "validate",
            "--output",
            str(out),
            "--work",
            str(tmp_path / "work"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    runs = [r for r in data["runs"] if r["bench"] == "validate"]
    assert [r["n"] for r in runs] == [10, 100]
    assert all(r["rc"] in (0, 1) and r["wall_s"] > 0 for r in runs), runs
    assert data["machine"]["nproc"] and data["versions"]["agentci"]
