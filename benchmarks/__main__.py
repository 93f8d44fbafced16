"""`python -m benchmarks [--quick] [--only NAME ...]`: every benchmark side by side in one run.

Installs promptfoo from npm into benchmarks/.work/ (needs the registry), then re-runs
itself inside a loopback-only network namespace (`unshare -rn`) so no tool can reach
the internet, starts the shared latency server in there, runs the benches, prints one
table and writes benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import peers
from benchmarks.harness import HERE, PY, WORK, LatencyServer, Run, byte_compile, table

BENCHES = ["startup", "eval", "cache", "pr", "faults", "validate", "deploy"]


def machine() -> dict[str, object]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(x.split()[1])
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str | None]:
    from importlib.metadata import version

    node = shutil.which("node")
    return {
        "python": platform.python_version(),
        "agentci": version("agentci"),
        "promptfoo": peers.promptfoo_version(),
        "node": subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
        if node
        else None,
        "deepeval": peers.deepeval_version(),
    }


def reexec_in_netns(argv: list[str]) -> int | None:
    """Run this benchmark again inside `unshare -rn` with lo up. None when not possible."""
    if not shutil.which("unshare"):
        return None
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    env = {**os.environ, "AGENTCI_BENCH_NETNS": "1"}
    cmd = [
        "unshare",
        "-rn",
        "bash",
        "-c",
        'ip link set lo up && exec "$@"',
        "bash",
        PY,
        "-m",
        "benchmarks",
        *argv,
    ]
    return subprocess.run(cmd, env=env, cwd=HERE.parent).returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--quick", action="store_true", help="small sizes, one concurrency (< 2 minutes)"
    )
    ap.add_argument(
        "--only", action="append", choices=BENCHES, help="run only this bench (repeatable)"
    )
    ap.add_argument(
        "--latency-ms", type=float, default=50.0, help="server latency per completion (default 50)"
    )
    ap.add_argument(
        "--no-peers", action="store_true", help="agentci only (no promptfoo / deepeval)"
    )
    ap.add_argument(
        "--no-netns",
        action="store_true",
        help="do not enter a network namespace (peers are then skipped)",
    )
    ap.add_argument("--output", default=str(HERE / "results" / "latest.json"))
    ap.add_argument(
        "--work",
        default=str(WORK / "run"),
        help="scratch dir (wiped at start; default benchmarks/.work/run)",
    )
    raw = list(sys.argv[1:] if argv is None else argv)
    args = ap.parse_args(raw)
    only = args.only or BENCHES
    wants_peers = not args.no_peers and any(b in only for b in ("startup", "eval", "cache"))

    note = ""
    if wants_peers and not peers.in_netns():
        note = peers.setup_promptfoo()
        if not args.no_netns:
            rc = reexec_in_netns(raw)
            if rc is not None:
                return rc
        note = note or "no loopback-only network namespace (unshare -rn): peer tools not run"
    peers_ok = wants_peers and peers.in_netns() and not note and peers.PF_BIN.exists()
    if wants_peers and peers.in_netns() and not peers.PF_BIN.exists():
        note = "promptfoo is not installed (run outside the namespace first)"

    WORK.mkdir(parents=True, exist_ok=True)
    byte_compile(HERE.parent / "agentci")
    run_dir = Path(args.work).resolve()
    shutil.rmtree(run_dir, ignore_errors=True)
    logs = run_dir / "logs"
    logs.mkdir(parents=True)
    sizes = [200] if args.quick else [200, 2000]
    concurrencies = [16] if args.quick else [4, 16, 64, 256]
    runs: list[Run] = []
    t0 = time.perf_counter()
    with LatencyServer(args.latency_ms) as server:
        from benchmarks import faults_bench, side_by_side, startup, workspace_benches

        steps = {
            "startup": lambda: startup.startup(
                server, run_dir, logs, peers_ok, reps=1 if args.quick else 3
            ),
            "eval": lambda: side_by_side.eval_matrix(
                server, run_dir, logs, sizes, concurrencies, peers_ok, note
            ),
            "cache": lambda: [
                r
                for n in sizes
                for r in side_by_side.cached_rerun(server, run_dir, logs, n, peers_ok)
            ],
            "pr": lambda: side_by_side.pr_one_of_many(server, run_dir, logs),
            "faults": lambda: faults_bench.faults(
                run_dir, logs, 200 if args.quick else 2000, args.latency_ms
            ),
            "validate": lambda: workspace_benches.validate(
                run_dir, logs, [10, 100] if args.quick else [10, 100, 1000]
            ),
            "deploy": lambda: workspace_benches.deploy(run_dir, logs, 100 if args.quick else 1000),
        }
        for name in BENCHES:
            if name not in only:
                continue
            print(f"== {name}", file=sys.stderr, flush=True)
            try:
                got = steps[name]()
            except Exception as exc:  # one broken bench must not lose the others' numbers
                got = [
                    Run(name, "error", "agentci", rc=-1, note=f"{type(exc).__name__}: {exc}"[:200])
                ]
            for r in got:
                print("   " + table([r]).splitlines()[1], file=sys.stderr, flush=True)
            runs += got
    total = time.perf_counter() - t0
    print(table(runs))
    print(f"total {total:.0f}s  latency {args.latency_ms:g} ms  logs in {logs}")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "quick": args.quick,
                "latency_ms": args.latency_ms,
                "machine": machine(),
                "versions": versions(),
                "peers": peers_ok,
                "peers_note": note,
                "total_s": round(total, 1),
                "runs": [r.to_json() for r in runs],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
