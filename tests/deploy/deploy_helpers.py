"""Helpers for the deploy tests: build real git repos of agents, run the real CLI, read the
live workspace through `agents/<name>/` exactly as an agent would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def agent_yaml(
    name: str,
    *,
    knowledge: str = "knowledge/shared",
    secrets: list[str] | None = None,
    smoke: str | None = None,
    lock: str | None = None,
    model: str = "{provider: local, name: smollm2-135m-instruct}",
) -> str:
    lines = [
        "agent:",
        f"  name: {name}",
        f"  model: {model}",
        "  prompt: system_prompt.md",
        "  variables: {company: Acme}",
        "  tools: tools.json",
        f"  knowledge: [../../{knowledge}]",
        f"  memory_path: /memory/{name}.json",
        "  permissions: {read: [/knowledge], write: [/drafts]}",
        "  evals: []",
    ]
    if secrets:
        lines.append(f"  secrets: [{', '.join(secrets)}]")
    if smoke:
        lines.append(f"  smoke: {smoke}")
    if lock:
        lines.append(f"  lock: {lock}")
    return "\n".join(lines) + "\n"


TOOLS = json.dumps(
    [{"name": "lookup", "description": "look up", "inputSchema": {"type": "object"}}]
)


def make_repo(
    root: Path,
    agents: list[str] = ("alpha", "beta"),
    knowledge_files: int = 5,  # type: ignore[assignment]
    config: str = "",
    **agent_kw: Any,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write(
        root / "agentci.yaml",
        "workspace:\n  backend: local\n  path: .agentci/workspace\n  lock_ttl: 5\n" + config,
    )
    for name in agents:
        write(root / "agents" / name / "agent.yaml", agent_yaml(name, **agent_kw))
        write(
            root / "agents" / name / "system_prompt.md",
            f"You are {name} at {{{{ company }}}}. v1\n",
        )
        write(root / "agents" / name / "tools.json", TOOLS)
    for i in range(knowledge_files):
        write(
            root / "knowledge" / "shared" / f"doc{i:04d}.md",
            f"# Doc {i}\n" + ("lorem ipsum " * 40) + "\n",
        )
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "initial")
    return root


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "OPENAI_", "ANTHROPIC_"))
    }
    full.update(GIT_ENV)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "agentci", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def deploy(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    proc = run_cli(
        "deploy", str(repo), "--no-smoke", "--no-writeback", "--format", "json", *args, env=env
    )
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        data = {}
    return proc.returncode, data, proc.stderr


def popen_deploy(
    repo: Path, *args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()
) -> subprocess.Popen[str]:
    """`agentci deploy` started, not waited for (kill trials, races, watching stderr). The child
    gets this environment less GITHUB_* (and any `drop` prefixes), plus `env`."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", *drop))}
    full.update(GIT_ENV)
    full.update(env or {})
    cmd = [sys.executable, "-m", "agentci", "deploy", str(repo), "--no-smoke", "--no-writeback"]
    return subprocess.Popen(
        [*cmd, "--format", "json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full,
    )


def live_tree(top: Path) -> dict[str, bytes]:
    """Every file a reader sees below `top` (following the area symlink)."""
    out: dict[str, bytes] = {}
    if not top.exists():
        return out
    for dirpath, _, files in os.walk(top, followlinks=True):
        for f in files:
            p = Path(dirpath, f)
            out[p.relative_to(top).as_posix()] = p.read_bytes()
    return out


def desired_areas(repo: Path, ref: str) -> dict[str, dict[str, bytes]]:
    from agentci.deploy.desired import load_desired

    d = load_desired(repo, ref)
    return {a.ref.path: dict(a.files) for a in d.areas()}


def workspace_bytes(ws: Path) -> dict[str, bytes]:
    """The whole live view a reader gets: every area through its symlink."""
    out = {}
    for top in [ws / "knowledge", ws / ".agentci" / "policies", *sorted((ws / "agents").glob("*"))]:
        for k, v in live_tree(top).items():
            out[f"{top.relative_to(ws).as_posix()}/{k}"] = v
    return out
