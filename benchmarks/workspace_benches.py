"""validate on 10 / 100 / 1,000 agents; deploy of 1,000 files and an incremental redeploy.

Both run the real CLI as a subprocess (what a user times). The repos come from the
owning engineers' generators in benchmarks/bench_validate.py and bench_deploy.py when
those expose one (`make_repo(path, n)`), else from the small generator below.
"""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path
from typing import Any

from benchmarks import dataset
from benchmarks.harness import PY, Run, base_env, measure


def _generator(module: str) -> Any:
    try:
        mod = importlib.import_module(f"benchmarks.{module}")
    except ImportError:
        return None
    return getattr(mod, "make_repo", None)


def _agents_repo(path: Path, agents: int) -> None:
    cases = [
        {"id": f"c{i}", "input": f"What is {i} plus {i}?", "expected": str(2 * i)} for i in range(5)
    ]
    for i in range(agents):
        dataset.write_agent(
            path, f"agent-{i:04d}", cases, prompt=f"You are agent {i}. Answer briefly."
        )


def validate(work: Path, logs: Path, sizes: list[int]) -> list[Run]:
    env = base_env()
    gen = _generator("bench_validate")
    runs = []
    for n in sizes:
        repo = work / f"validate-{n}"
        shutil.rmtree(repo, ignore_errors=True)
        repo.mkdir(parents=True)
        (gen or _agents_repo)(repo, n)
        r = Run(
            "validate", f"{n}-agents", "agentci", n, note="bench_validate generator" if gen else ""
        )
        measure(
            None,
            r,
            [PY, "-m", "agentci", "validate", str(repo), "--format", "json"],
            cwd=work,
            env=env,
            logs=logs,
        )
        runs.append(r)
    return runs


def _files_repo(path: Path, files: int) -> None:
    _agents_repo(path, 2)
    kdir = path / "knowledge" / "docs"
    kdir.mkdir(parents=True)
    for i in range(files - 8):
        (kdir / f"doc-{i:04d}.md").write_text(
            f"# Doc {i}\n\n" + ("Lorem ipsum dolor sit amet. " * 40) + "\n"
        )
    for a in ("agent-0000", "agent-0001"):
        manifest = path / "agents" / a / "agent.yaml"
        manifest.write_text(manifest.read_text() + "  knowledge: [../../knowledge/docs]\n")


def deploy(work: Path, logs: Path, files: int) -> list[Run]:
    env = base_env()
    gen = _generator("bench_deploy")
    repo = work / f"deploy-{files}"
    ws = work / f"deploy-{files}-ws"
    for p in (repo, ws):
        shutil.rmtree(p, ignore_errors=True)
    repo.mkdir(parents=True)
    (gen or _files_repo)(repo, files)
    dataset.commit_all(repo, "bench")
    cmd = [PY, "-m", "agentci", "deploy", "--workspace", str(ws), "--format", "json"]
    runs = [
        measure(
            None,
            Run("deploy", f"{files}-files-first", "agentci", files),
            cmd,
            cwd=repo,
            env=env,
            logs=logs,
        )
    ]
    runs.append(
        measure(
            None,
            Run("deploy", "redeploy-unchanged", "agentci", files),
            cmd,
            cwd=repo,
            env=env,
            logs=logs,
        )
    )
    changed = sorted((repo / "knowledge").rglob("*.md"))[:10]
    for f in changed:
        f.write_text(f.read_text() + "\nedited\n")
    dataset.commit_all(repo, "edit 10 files")
    runs.append(
        measure(
            None,
            Run("deploy", "redeploy-10-changed", "agentci", len(changed)),
            cmd,
            cwd=repo,
            env=env,
            logs=logs,
        )
    )
    for r in runs:
        r.note = _sent(logs / f"deploy.{r.label}.agentci.log")
    return runs


def _sent(log: Path) -> str:
    """Files sent / unchanged from `deploy --format json` (stdout is mixed with stderr progress in the log)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    try:
        data = json.loads(text[text.index("{") : text.rindex("}") + 1])
        agents = (data.get("agents") or []) + (data.get("areas") or [])
        sent = sum(int(a.get("files_sent") or 0) for a in agents)
        same = sum(int(a.get("files_unchanged") or 0) for a in agents)
        return f"sent {sent}, unchanged {same} (agents + knowledge + policies)"
    except (ValueError, TypeError, AttributeError):
        return ""
