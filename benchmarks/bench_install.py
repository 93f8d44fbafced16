"""What the Action's install step costs: a fresh venv, `pip install <agentci>[extras]`.

Four set-ups, each in a fresh venv, timed as the whole `pip install` (wall) and sized as the
venv's site-packages afterwards:

- `api-cold`: the API-only install (no extras) with an empty pip cache: what a job that does not
  need the embedded model pays on a fresh runner.
- `api-cached`: the same with pip's cache from the run before (actions/setup-python `cache: pip`).
- `local-cold`: `[local]` with an empty pip cache: llama-cpp-python is built from source.
- `local-wheel`: `[local]` with an empty pip cache but the wheel the cold run built offered
  through `--find-links` (what the Action restores from actions/cache): no compiler runs.
- `local-cached`: `[local]` with pip's warm cache (downloads and the built wheel).

Packages come from the index pip is configured with; the cold rows include download time.

    python benchmarks/bench_install.py [--only api-cold,local-wheel] [--out results/install.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["api-cold", "api-cached", "local-cold", "local-wheel", "local-cached"]


def _size_mb(path: Path) -> float:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return round(total / 1e6, 1)


def install(label: str, work: Path, src: Path) -> dict[str, object]:
    extras = "[local]" if label.startswith("local") else ""
    cache = work / ("pip-cache-local" if extras else "pip-cache-api")
    venv = work / f"venv-{label}"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
    ]
    env = {**os.environ, "PIP_CACHE_DIR": str(cache)}
    if label.endswith("cold"):
        shutil.rmtree(cache, ignore_errors=True)
    if label == "local-wheel":
        # the Action's path: an empty pip cache, the built wheel restored from actions/cache
        env["PIP_CACHE_DIR"] = str(work / "pip-cache-empty")
        shutil.rmtree(env["PIP_CACHE_DIR"], ignore_errors=True)
        wheels = work / "wheels"
        wheels.mkdir(exist_ok=True)
        for whl in cache.rglob("llama_cpp_python-*.whl"):
            shutil.copy2(whl, wheels / whl.name)
        pip += ["--find-links", str(wheels)]
    started = time.perf_counter()
    proc = subprocess.run([*pip, f"{src}{extras}"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    site = next((venv / "lib").glob("python*/site-packages"))
    row = {
        "label": label,
        "wall_s": round(wall, 1),
        "rc": proc.returncode,
        "venv_mb": _size_mb(venv),
        "site_packages_mb": _size_mb(site),
        "load_avg": round(os.getloadavg()[0], 1),
    }
    if proc.returncode:
        row["stderr_tail"] = proc.stderr[-800:]
    shutil.rmtree(venv, ignore_errors=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--only", default=",".join(ORDER), help="comma-separated labels, run in this order"
    )
    ap.add_argument("--work", type=Path, default=None, help="keep caches here between invocations")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="agentci-bench-install-"))
    work.mkdir(parents=True, exist_ok=True)
    # install from a copy, as the Action does from its own path, without the dev venv inside
    src = work / "agentci-src"
    if not src.exists():
        shutil.copytree(
            ROOT,
            src,
            ignore=shutil.ignore_patterns(".venv", ".git", ".work", "__pycache__", ".agentci"),
        )
    rows = []
    for label in a.only.split(","):
        row = install(label, work, src)
        print(json.dumps(row), flush=True)
        rows.append(row)
    if a.out:
        a.out.write_text(json.dumps(rows, indent=1) + "\n")
    if a.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
