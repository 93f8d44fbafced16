"""Deploy of 1,000 knowledge files on the local backend, then incremental redeploys.

    python -m benchmarks.bench_deploy [--files 1000]

Runs the real CLI as a subprocess (what a user times) and prints, side by side:
first deploy, redeploy with nothing changed, redeploy with ONE file changed (must send
exactly one file), and a `--force` redeploy that re-sends everything (the baseline an
incremental deploy is compared with). `make_repo(path, n)` is also used by
benchmarks/workspace_benches.py.
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

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def make_repo(path: Path, files: int) -> None:
    """Two agents sharing `files` knowledge documents (no git: the caller commits)."""
    (path / "agentci.yaml").write_text("workspace:\n  backend: local\n  path: .agentci/workspace\n")
    for name in ("docs-bot", "triage-bot"):
        d = path / "agents" / name
        d.mkdir(parents=True)
        (d / "agent.yaml").write_text(
            f"agent:\n  name: {name}\n  model: {{provider: local, name: smollm2-135m-instruct}}\n"
            "  prompt: system_prompt.md\n  variables: {company: Acme}\n  tools: tools.json\n"
            "  knowledge: [../../knowledge/docs]\n  memory_path: /memory/"
            + name
            + ".json\n  evals: []\n"
        )
        (d / "system_prompt.md").write_text(f"You are {name} at {{{{ company }}}}.\n")
        (d / "tools.json").write_text(
            '[{"name": "search", "description": "search docs", "inputSchema": {"type": "object"}}]'
        )
    kdir = path / "knowledge" / "docs"
    kdir.mkdir(parents=True)
    for i in range(files):
        (kdir / f"doc-{i:04d}.md").write_text(
            f"# Doc {i}\n\n" + ("Lorem ipsum dolor sit amet. " * 40) + "\n"
        )


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True, capture_output=True
    )


def _deploy(repo: Path, *extra: str) -> tuple[float, dict[str, int]]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentci",
            "deploy",
            str(repo),
            "--no-smoke",
            "--no-writeback",
            "--format",
            "json",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"deploy failed:\n{proc.stderr}")
    data = json.loads(proc.stdout)
    rows = data["agents"] + data["areas"]
    return wall, {
        "sent": sum(r["files_sent"] for r in rows),
        "unchanged": sum(r["files_unchanged"] for r in rows),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    args = ap.parse_args()
    top = Path(tempfile.mkdtemp(prefix="agentci-bench-deploy-"))
    try:
        repo = top / "repo"
        repo.mkdir()
        make_repo(repo, args.files)
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", "bench")
        rows = [("first deploy", *_deploy(repo))]
        rows.append(("redeploy, nothing changed", *_deploy(repo)))
        doc = repo / "knowledge/docs/doc-0500.md"
        doc.write_text(doc.read_text() + "\nedited\n")
        _git(repo, "commit", "-qam", "one file")
        rows.append(("redeploy, 1 file changed", *_deploy(repo)))
        doc.write_text(doc.read_text() + "\nedited again\n")
        _git(repo, "commit", "-qam", "one more")
        rows.append(("redeploy, 1 file changed, --force", *_deploy(repo, "--force")))
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print(
        f"agentci deploy, local backend, {args.files} knowledge files + 2 agents (wall time incl. interpreter start)"
    )
    print(f"{'run':40} {'wall s':>8} {'sent':>6} {'unchanged':>10}")
    for name, wall, n in rows:
        print(f"{name:40} {wall:8.3f} {n['sent']:6d} {n['unchanged']:10d}")
    incremental, forced = rows[2][1], rows[3][1]
    print(f"incremental vs --force (everything re-sent): {forced / incremental:.2f}x faster")
    assert rows[2][2]["sent"] == 1, "a one-file change must send exactly one file"
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
