"""agentci.git: the questions the code base asks of git, against real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agentci import git


def _repo(path: Path) -> str:
    def run(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(path), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    run("init", "-q")
    (path / "a.txt").write_text("a\n")
    run("add", "a.txt")
    run("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one")
    return run("rev-parse", "HEAD")


def test_head_later_answers_what_head_does(tmp_path: Path) -> None:
    sha = _repo(tmp_path)
    answer = git.head_later(tmp_path)
    assert answer() == sha == git.head(tmp_path)


def test_head_later_outside_a_repository_or_before_a_commit_is_none(tmp_path: Path) -> None:
    assert git.head_later(tmp_path / "missing")() is None
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run(["git", "-C", str(empty), "init", "-q"], check=True)
    assert git.head_later(empty)() is None
