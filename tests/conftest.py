"""Shared test helpers: real git repos in tmp dirs and the real CLI as a subprocess.

Per-area fixtures live in tests/<area>/conftest.py; HTTP stand-ins (OpenAI-compatible,
GitHub REST, Fast.io) live in tests/servers/ and listen on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def init_repo(path: Path, message: str = "initial") -> str:
    """Turn a directory into a git repo with one commit; returns the commit sha."""
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)
    return git(path, "rev-parse", "HEAD")


def commit_all(path: Path, message: str) -> str:
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)
    return git(path, "rev-parse", "HEAD")


@pytest.fixture
def example_repo(tmp_path: Path) -> Callable[[str], Path]:
    """Copy examples/<name> into a tmp dir and make it a git repo."""

    def make(name: str = "support-bot") -> Path:
        dest = tmp_path / name
        shutil.copytree(EXAMPLES / name, dest, ignore=shutil.ignore_patterns(".agentci"))
        init_repo(dest)
        return dest

    return make


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real `agentci` CLI in a subprocess (python -m agentci, same interpreter)."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "OPENAI_", "ANTHROPIC_"))
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "agentci", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cli


@pytest.fixture(autouse=True)
def _own_answer_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer cache's default lives in the user's home (~/.cache/agentci): each test gets its
    own, so no test is served another test's (or an earlier run's) answers. A test that sets
    AGENTCI_CACHE_DIR itself overrides this; subprocesses inherit it from os.environ."""
    monkeypatch.setenv("AGENTCI_CACHE_DIR", str(tmp_path / "agentci-answer-cache"))
