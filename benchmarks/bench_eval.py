"""agentci eval throughput on the shared bench workload (../shared/bench).

Starts ../shared/bench/latency_server.py (an OpenAI-compatible server that sleeps a
fixed latency per completion), writes the golden set with make_dataset.py, turns
cases.jsonl into an agentci repo (one agent, empty system prompt, prompt = input,
one `contains` assertion per case: the same work as the promptfoo config), and runs
the real CLI as a subprocess:

  run 1  cold cache   wall time vs ideal ceil(N/c)*latency; requests seen by /stats
  run 2  unchanged    must make 0 requests (served from the disk cache)

    python benchmarks/bench_eval.py [-n 200] [--latency-ms 200] [-c 16]

`run_config(...)` runs one configuration and returns a dict (for the side-by-side
benchmark against promptfoo/deepeval). The shared bench lives in $AGENTCI_SHARED/bench,
else in the repo's sibling directory ../shared/bench; nothing is copied from it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def shared_bench() -> Path:
    base = (
        Path(os.environ["AGENTCI_SHARED"])
        if os.environ.get("AGENTCI_SHARED")
        else REPO.parent / "shared"
    )
    bench = base / "bench"
    if not (bench / "latency_server.py").is_file():
        raise SystemExit(
            f"shared bench not found at {bench} (set AGENTCI_SHARED to the directory holding bench/)"
        )
    return bench


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http(url: str, data: bytes | None = None) -> Any:
    with urllib.request.urlopen(
        urllib.request.Request(url, data=data, method="POST" if data else "GET"), timeout=10
    ) as r:
        return json.loads(r.read())


class Server:
    def __init__(self, latency_ms: float, max_concurrency: int = 0) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(shared_bench() / "latency_server.py"),
                "--port",
                str(self.port),
                "--latency-ms",
                str(latency_ms),
                "--max-concurrency",
                str(max_concurrency),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # "listening on ..."
        self.url = f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict[str, Any]:
        return dict(_http(self.url + "/stats"))

    def reset(self) -> None:
        _http(self.url + "/stats/reset", b"{}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def make_repo(work: Path, n: int, base_url: str) -> Path:
    data = work / "data"
    subprocess.run(
        [
            sys.executable,
            str(shared_bench() / "make_dataset.py"),
            "-n",
            str(n),
            "--out",
            str(data),
            "--base-url",
            base_url + "/v1",
        ],
        check=True,
        capture_output=True,
    )
    repo = work / "repo"
    agent = repo / "agents" / "bench"
    (agent / "evals").mkdir(parents=True)
    (agent / "agent.yaml").write_text(
        "agent:\n  name: bench\n"
        f"  model: {{provider: openai, name: bench-model, temperature: 0, base_url: '{base_url}/v1'}}\n"
        "  prompt: system_prompt.md\n  evals: [evals/golden.jsonl]\n"
    )
    (agent / "system_prompt.md").write_text(
        ""
    )  # promptfoo's prompt is just {{input}}: no system turn
    with (data / "cases.jsonl").open() as src, (agent / "evals" / "golden.jsonl").open("w") as dst:
        for line in src:
            row = json.loads(line)
            dst.write(
                json.dumps(
                    {
                        "id": row["id"],
                        "input": row["input"],
                        "assert": [{"type": "contains", "value": row["expected"]}],
                    }
                )
                + "\n"
            )
    return repo


def _eval(
    repo: Path, cache: Path, concurrency: int, extra: list[str]
) -> tuple[float, dict[str, Any], int]:
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-local-bench",
        "AGENTCI_CACHE_DIR": str(cache),
        "CI": "true",
    }
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentci",
            "eval",
            str(repo),
            "--concurrency",
            str(concurrency),
            "--format",
            "json",
            "--min-pass-rate",
            "0",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"agentci eval exited {proc.returncode}: {proc.stderr[-500:]}")
    return wall, json.loads(proc.stdout), proc.returncode


def run_config(
    n: int = 200,
    latency_ms: float = 200,
    concurrency: int = 16,
    *,
    reruns: int = 1,
    no_cache: bool = False,
    max_server_concurrency: int = 0,
) -> dict[str, Any]:
    """One configuration, cold cache then `reruns` unchanged re-runs. Returns the numbers."""
    server = Server(latency_ms, max_server_concurrency)
    try:
        with tempfile.TemporaryDirectory(prefix="agentci-bench-") as tmp:
            work = Path(tmp)
            repo = make_repo(work, n, server.url)
            extra = ["--no-cache"] if no_cache else []
            server.reset()
            wall, data, rc = _eval(repo, work / "cache", concurrency, extra)
            stats = server.stats()
            ideal = math.ceil(n / concurrency) * latency_ms / 1000
            out: dict[str, Any] = {
                "tool": "agentci",
                "n": n,
                "latency_ms": latency_ms,
                "concurrency": concurrency,
                "wall_s": round(wall, 3),
                "eval_s": data["totals"]["duration_s"],
                "ideal_s": ideal,
                "ratio": round(wall / ideal, 3),
                "eval_ratio": round(data["totals"]["duration_s"] / ideal, 3),
                "requests": stats["completions"],
                "peak_in_flight": stats["peak_in_flight"],
                # first request start -> last response: the pipeline without start-up and loading
                "server_window_s": round(
                    (stats["last_ts"] or 0) - (stats["first_ts"] or 0) + latency_ms / 1000, 3
                ),
                "passed": data["totals"]["passed"],
                "rc": rc,
                "reruns": [],
            }
            for _ in range(reruns):
                server.reset()
                wall2, data2, _ = _eval(repo, work / "cache", concurrency, extra)
                out["reruns"].append(
                    {
                        "wall_s": round(wall2, 3),
                        "requests": server.stats()["completions"],
                        "cached": data2["totals"]["cached"],
                        "passed": data2["totals"]["passed"],
                    }
                )
            return out
    finally:
        server.stop()


def keepalive_ms(calls: int = 40) -> dict[str, float]:
    """Median ms per sequential call on a kept-alive connection (server latency 0), agentci's
    client (aiohttp) with and without TCP_QUICKACK set on the socket before each answer is
    read, against the latency server (TCP_NODELAY, as provider front ends) and against the
    test stand-in (Python's http.server without TCP_NODELAY: headers and body leave in two
    segments, the second held by Nagle until the client ACKs the first)."""
    import asyncio
    import socket
    import statistics

    import aiohttp

    quick = getattr(socket, "TCP_QUICKACK", None)
    body = {"model": "m", "messages": [{"role": "user", "content": "What is 1 plus 2"}]}

    async def median_ms(url: str, quick_ack: bool) -> float:
        times = []
        async with aiohttp.ClientSession() as s:
            for _ in range(calls):
                t0 = time.perf_counter()
                async with s.post(url, json=body) as r:
                    if quick_ack and quick is not None and r.connection and r.connection.transport:
                        sock = r.connection.transport.get_extra_info("socket")
                        sock.setsockopt(socket.IPPROTO_TCP, quick, 1)
                    await r.read()
                times.append((time.perf_counter() - t0) * 1000)
        return round(statistics.median(times[5:]), 2)

    out: dict[str, float] = {}
    server = Server(0)
    stub = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "servers" / "openai_stub.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert stub.stdout is not None
        stub_url = stub.stdout.readline().split()[-1].rstrip("/")
        for where, url in (
            ("nodelay_server", server.url + "/v1/chat/completions"),
            ("python_stub", stub_url + "/chat/completions"),
        ):
            for quick_ack in (False, True):
                key = f"{where}_{'quickack' if quick_ack else 'plain'}"
                out[key] = asyncio.run(median_ms(url, quick_ack))
    finally:
        server.stop()
        stub.terminate()
        stub.wait(10)
    return out


#: the workloads of issue #15: (N, concurrency)
FLOOR_WORKLOADS = [(200, 16), (2000, 64), (2000, 256)]


def vs_floor(
    workloads: list[tuple[int, int]],
    *,
    latency_ms: float = 200,
    reps: int = 3,
    before: str | None = None,
    jsonl: bool = False,
) -> list[dict[str, Any]]:
    """agentci against the floor (benchmarks/floor_client.py, a bare aiohttp loop) on one
    server, each a fresh process under /usr/bin/time -v, interleaved (floor, agentci[,
    before]) and repeated; returns the median wall, ratio to the floor, peak RSS and the
    requests the server saw per tool and workload. `before`: a git ref whose agentci runs
    too (from a `git archive` of it on PYTHONPATH, same interpreter), for before/after
    numbers from the same run. `jsonl`: also agentci reading the same cases as a JSONL
    golden set (`agentci-jsonl`), the floor's own input form, to show the YAML parse's share."""
    import statistics

    from benchmarks.harness import LatencyServer, Run, base_env, byte_compile, measure
    from benchmarks.side_by_side import agentci_cmd, floor_cmd, workload

    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="agentci-floor-") as tmp,
        LatencyServer(latency_ms) as server,
    ):
        work = Path(tmp)
        logs = work / "logs"
        env = base_env(server)
        tools = ["floor", "agentci"]
        byte_compile(REPO / "agentci")
        old_env = {}
        if before:
            old = work / "before"
            old.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", before, "agentci"],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            byte_compile(old / "agentci")
            old_env = {"PYTHONPATH": str(old)}
            tools.append("before")
        if jsonl:
            tools.append("agentci-jsonl")
        for n, c in workloads:
            data, repo = workload(server, work, n)
            repos = {"agentci": repo, "before": repo}
            if jsonl:
                from benchmarks import dataset

                repos["agentci-jsonl"] = work / f"agentci-n{n}-jsonl"
                if not repos["agentci-jsonl"].exists():
                    dataset.agentci_repo(
                        dataset.read_cases(data / "cases.jsonl"),
                        repos["agentci-jsonl"],
                        fmt="jsonl",
                    )
                    dataset.commit_all(repos["agentci-jsonl"], "bench")
            got: dict[str, list[Run]] = {t: [] for t in tools}
            for rep in range(reps):
                for tool in tools:  # interleaved: a busy spell on the machine hits all alike
                    r = Run("floor", f"n{n}-c{c}-{rep}", tool, n, c)
                    if tool == "floor":
                        cmd, cwd, tenv = floor_cmd(data, server.url + "/v1", c), work, env
                    else:
                        out = work / f"results-{tool}.json"
                        cmd, cwd = agentci_cmd(c, out), repos[tool]
                        tenv = {
                            **env,
                            "AGENTCI_CACHE_DIR": str(work / "cache"),
                            **(old_env if tool == "before" else {}),
                        }
                    measure(server, r, cmd, cwd=cwd, env=tenv, logs=logs)
                    got[tool].append(r)
            floor_wall = statistics.median(r.wall_s for r in got["floor"])
            for tool in tools:
                walls = [r.wall_s for r in got[tool]]
                rows.append(
                    {
                        "n": n,
                        "concurrency": c,
                        "tool": tool,
                        "wall_s": round(statistics.median(walls), 3),
                        "walls": walls,
                        "ideal_s": got[tool][0].ideal_s,
                        "vs_floor": round(statistics.median(walls) / floor_wall, 3),
                        # each rep's ratio to the floor run next to it
                        "vs_floor_paired": [
                            round(a.wall_s / f.wall_s, 3)
                            for a, f in zip(got[tool], got["floor"], strict=True)
                        ],
                        "rss_mb": max(r.rss_mb or 0 for r in got[tool]),
                        "requests": [r.requests for r in got[tool]],
                        "peak_in_flight": max(r.peak_in_flight or 0 for r in got[tool]),
                        "rc": [r.rc for r in got[tool]],
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    return rows


def startup_s(repeats: int = 3) -> float:
    """Wall time of `agentci --version`-style start-up: the floor under every CLI run."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "agentci", "eval", "--help"], capture_output=True, check=True
        )
        best = min(best, time.perf_counter() - t0)
    return round(best, 3)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--latency-ms", type=float, default=200)
    ap.add_argument("-c", "--concurrency", type=int, default=16)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument(
        "--vs-floor",
        action="store_true",
        help="issue #15's workloads (N=200 c=16, N=2000 c=64, N=2000 c=256) against the floor",
    )
    ap.add_argument("--before", help="with --vs-floor: also run agentci as of this git ref")
    ap.add_argument(
        "--jsonl", action="store_true", help="with --vs-floor: also agentci on a JSONL golden set"
    )
    ap.add_argument(
        "--only",
        default="",
        help="with --vs-floor: only these workloads, e.g. 2000x256 (comma-separated NxC)",
    )
    ap.add_argument("--keepalive", action="store_true", help="TCP_QUICKACK with and without")
    a = ap.parse_args()
    if a.keepalive:
        print(f"per call on a kept-alive connection, ms (median): {keepalive_ms()}")
        return
    if a.vs_floor:
        workloads = (
            [(int(n), int(c)) for n, c in (w.split("x") for w in a.only.split(","))]
            if a.only
            else FLOOR_WORKLOADS
        )
        rows = vs_floor(
            workloads, latency_ms=a.latency_ms, reps=a.reps, before=a.before, jsonl=a.jsonl
        )
        print(
            f"\n{'N':>5} {'c':>4} {'tool':13} {'wall_s':>7} {'x floor':>8} {'rss_mb':>7}  requests"
        )
        for r in rows:
            print(
                f"{r['n']:>5} {r['concurrency']:>4} {r['tool']:13} {r['wall_s']:>7.2f} "
                f"{r['vs_floor']:>8.2f} {r['rss_mb']:>7.1f}  {r['requests']}"
            )
        return
    print(f"CLI start-up (eval --help): {startup_s()} s")
    for rep in range(a.reps):
        r = run_config(a.n, a.latency_ms, a.concurrency)
        rr = r["reruns"][0]
        print(
            f"[{rep + 1}] N={r['n']} c={r['concurrency']} latency={r['latency_ms']:.0f}ms  "
            f"ideal {r['ideal_s']:.2f}s  wall {r['wall_s']:.2f}s ({r['ratio']:.2f}x)  "
            f"eval phase {r['eval_s']:.2f}s ({r['eval_ratio']:.2f}x)  server window {r['server_window_s']:.2f}s  "
            f"requests {r['requests']}  "
            f"peak in flight {r['peak_in_flight']}  passed {r['passed']}/{r['n']}"
        )
        print(
            f"    re-run unchanged: wall {rr['wall_s']:.2f}s  requests {rr['requests']}  cached {rr['cached']}"
        )
        print(json.dumps(r))


if __name__ == "__main__":
    main()
