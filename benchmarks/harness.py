"""Shared benchmark plumbing: the loopback latency server, timed subprocess runs, the table.

Every tool (agentci, promptfoo, deepeval) is run the same way: a fresh subprocess under
`/usr/bin/time -v` (wall time and peak RSS of the largest process in the tree), after a
`POST /stats/reset` on the one shared server, with `/stats` read afterwards (requests the
server really saw, and the concurrency the client really used).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
SHARED_BENCH = Path(os.environ.get("AGENTCI_SHARED_BENCH", ROOT.parent / "shared" / "bench"))
PY = sys.executable


@dataclass
class Run:
    """One timed tool run (a row of the table)."""

    bench: str
    label: str
    tool: str
    n: int = 0
    concurrency: int | None = None
    wall_s: float = 0.0
    ideal_s: float | None = None
    ratio: float | None = None
    rss_mb: float | None = None
    requests: int | None = None
    peak_in_flight: int | None = None
    #: wall time over the bare aiohttp client's (benchmarks/floor_client.py) in the same run
    vs_floor: float | None = None
    rc: int = 0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LatencyServer:
    """../shared/bench/latency_server.py on 127.0.0.1, started in this (network) namespace."""

    def __init__(self, latency_ms: float, max_concurrency: int = 0) -> None:
        self.port = free_port()
        self.latency_ms = latency_ms
        self.proc = subprocess.Popen(
            [
                PY,
                str(SHARED_BENCH / "latency_server.py"),
                "--port",
                str(self.port),
                "--latency-ms",
                str(latency_ms),
                "--max-concurrency",
                str(max_concurrency),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30  # a loaded 2-core machine can take seconds to start Python
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError("latency server did not start")

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/stats", timeout=5) as r:
            return dict(json.load(r))

    def reset(self) -> None:
        req = urllib.request.Request(self.url + "/stats/reset", data=b"", method="POST")
        urllib.request.urlopen(req, timeout=5).read()

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> LatencyServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def timed(
    cmd: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float = 900
) -> tuple[int, float, float | None, str]:
    """Run `cmd` under /usr/bin/time -v: (rc, wall seconds, peak RSS MB, combined output)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    tfile = log.with_suffix(".time")
    wrap = (
        ["/usr/bin/time", "-v", "-o", str(tfile), *cmd] if Path("/usr/bin/time").exists() else cmd
    )
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            wrap, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
        rc, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        partial = [
            x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
            for x in (exc.stdout, exc.stderr)
        ]
        rc, out = -9, f"timeout after {timeout}s\n" + "".join(partial)
    wall = time.perf_counter() - t0
    log.write_text(out, encoding="utf-8", errors="replace")
    rss = None
    if tfile.exists():
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tfile.read_text())
        rss = int(m.group(1)) / 1024 if m else None
    return rc, wall, rss, out


def ideal(n: int, concurrency: int | None, latency_ms: float) -> float | None:
    if not n or not concurrency:
        return None
    return math.ceil(n / concurrency) * latency_ms / 1000


def measure(
    server: LatencyServer | None,
    run: Run,
    cmd: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    logs: Path,
    timeout: float = 300,
) -> Run:
    """Reset the server, run the command timed, fill `run` from time -v and /stats."""
    if server:
        server.reset()
    rc, wall, rss, _ = timed(
        cmd, cwd=cwd, env=env, log=logs / f"{run.bench}.{run.label}.{run.tool}.log", timeout=timeout
    )
    if rc == -9:
        run.note = f"timed out after {timeout:.0f}s (killed)"
    run.rc, run.wall_s, run.rss_mb = rc, round(wall, 3), round(rss, 1) if rss else None
    if server:
        st = server.stats()
        run.requests, run.peak_in_flight = int(st["completions"]), int(st["peak_in_flight"])
        run.ideal_s = ideal(run.n, run.concurrency, server.latency_ms)
        if run.ideal_s and run.requests:
            run.ratio = round(run.wall_s / run.ideal_s, 2)
    return run


def base_env(server: LatencyServer | None = None) -> dict[str, str]:
    """Env for every tool run: no real keys, no telemetry, only the loopback server."""
    drop = ("OPENAI_", "ANTHROPIC_", "GITHUB_", "FASTIO_", "AGENTCI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        {
            "PROMPTFOO_DISABLE_TELEMETRY": "1",
            "PROMPTFOO_DISABLE_UPDATE": "1",
            "PROMPTFOO_DISABLE_SHARING": "1",
            "PROMPTFOO_DISABLE_REMOTE_GENERATION": "1",
            "DEEPEVAL_TELEMETRY_OPT_OUT": "1",
            "DEEPEVAL_UPDATE_WARNING_OPT_IN": "0",
            "DEEPEVAL_NO_INSPECT_PROMPT": "1",
            "NO_COLOR": "1",
        }
    )
    if server:
        env["OPENAI_API_KEY"] = "sk-local-bench"
        env["OPENAI_BASE_URL"] = server.url + "/v1"
    return env


def byte_compile(package: Path) -> None:
    """Bytecode for every module, as an installed package has: under PYTHONDONTWRITEBYTECODE
    (set on some machines) an uncompiled tree compiles its sources again in every timed
    run (~50-100 ms of each agentci process), and a `git archive` of a before-ref has none."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def which(name: str) -> str | None:
    return shutil.which(name)


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


COLUMNS = [
    "bench",
    "label",
    "tool",
    "n",
    "concurrency",
    "wall_s",
    "ideal_s",
    "ratio",
    "rss_mb",
    "requests",
    "peak_in_flight",
    "vs_floor",
    "rc",
    "note",
]


def table(runs: list[Run], markdown: bool = False) -> str:
    rows = [[fmt(getattr(r, c)) for c in COLUMNS] for r in runs]
    if markdown:
        head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
        return head + "".join(
            "| " + " | ".join(x.replace("|", "/") for x in row) + " |\n" for row in rows
        )
    widths = [max(len(x) for x in col) for col in zip(COLUMNS, *rows, strict=True)]
    return "".join(
        "  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() + "\n"
        for row in [COLUMNS, *rows]
    )
