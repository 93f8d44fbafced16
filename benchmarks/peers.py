"""The peer tools: promptfoo (npm, installed by this benchmark into benchmarks/.work/) and deepeval.

Peer tools only ever run inside a loopback-only network namespace (`unshare -rn`):
promptfoo contacts its home server even with telemetry disabled. `__main__` installs
promptfoo first (that needs the npm registry), then re-executes the whole benchmark
inside the namespace, with the latency server started in there too.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from benchmarks.harness import PY, WORK

PF_DIR = WORK / "promptfoo"
PF_BIN = PF_DIR / "node_modules" / ".bin" / "promptfoo"
PF_QUIET = ["--no-table", "--no-progress-bar"]
PF_DEFAULT_CONCURRENCY = 4  # promptfoo's documented -j default
DE_DEFAULT_CONCURRENCY = 20  # deepeval AsyncConfig.max_concurrent default


def in_netns() -> bool:
    return os.environ.get("AGENTCI_BENCH_NETNS") == "1"


def setup_promptfoo() -> str:
    """`npm install promptfoo` in a local folder (never global). Returns a note on failure."""
    if PF_BIN.exists():
        return ""
    PF_DIR.mkdir(parents=True, exist_ok=True)
    if not (PF_DIR / "package.json").exists():
        (PF_DIR / "package.json").write_text(
            json.dumps({"name": "agentci-bench-peers", "private": True})
        )
    try:
        proc = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "promptfoo"],
            cwd=PF_DIR,
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"npm install promptfoo failed: {exc}"
    if proc.returncode != 0 or not PF_BIN.exists():
        return "npm install promptfoo failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
    return ""


def promptfoo_version() -> str | None:
    try:
        pkg = json.loads((PF_DIR / "node_modules" / "promptfoo" / "package.json").read_text())
        return str(pkg.get("version"))
    except (OSError, ValueError):
        return None


def deepeval_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("deepeval")
    except Exception:
        return None


def promptfoo_env(env: dict[str, str], home: Path, cache: Path | None) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    out = {**env, "PROMPTFOO_CONFIG_DIR": str(home)}
    if cache:
        out["PROMPTFOO_CACHE_PATH"] = str(cache)
    return out


def promptfoo_cmd(concurrency: int | None, *, cache: bool = False) -> list[str]:
    cmd = [str(PF_BIN), "eval", "-c", "promptfooconfig.yaml", *PF_QUIET]
    if not cache:
        cmd.append("--no-cache")
    if concurrency is not None:
        cmd += ["-j", str(concurrency)]
    return cmd


def deepeval_cmd(dataset: Path, concurrency: int | None) -> list[str]:
    """deepeval `evals_iterator` + `evaluate` with the non-LLM Contains metric (make_dataset.py)."""
    cmd = [PY, str(dataset / "deepeval_eval.py"), "--quiet"]
    if concurrency is not None:
        cmd += ["--max-concurrent", str(concurrency)]
    return cmd
