"""Which repos make the Action install the embedded model (python -m agentci.eval.local_needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.eval.conftest import write_agent

OPENAI = "{provider: openai, name: gpt-test, temperature: 0}"
LOCAL = "{provider: local, name: smollm2-135m-instruct, temperature: 0}"


def needed(root: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "agentci.eval.local_needed", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_api_only_repo_does_not_need_it_unless_asked(tmp_path):
    write_agent(tmp_path, "a", model=OPENAI)
    write_agent(tmp_path, "b", model=OPENAI)
    assert needed(tmp_path) == "false"
    assert needed(tmp_path, "--provider", "local") == "true"
    assert needed(tmp_path, "--provider", "anthropic") == "false"


def test_any_agent_judge_or_fork_provider_on_local_needs_it(tmp_path):
    write_agent(tmp_path, "a", model=OPENAI)
    write_agent(tmp_path, "b", model=LOCAL)
    assert needed(tmp_path) == "true"
    judge = tmp_path / "judge"
    write_agent(
        judge,
        "a",
        model=OPENAI,
        config="eval: {judge: {provider: local, name: smollm2-135m-instruct}}\n",
    )
    assert needed(judge) == "true"
    fork = tmp_path / "fork"
    write_agent(fork, "a", model=OPENAI, config="eval: {fork_provider: local}\n")
    assert needed(fork) == "false"
    assert needed(fork, "--fork") == "true"


def test_the_pr_base_counts_too(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    write_agent(tmp_path, "a", model=LOCAL)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    base = git(tmp_path, "rev-parse", "HEAD")
    write_agent(tmp_path, "a", model=OPENAI)  # the PR moves the agent off the local model
    git(tmp_path, "commit", "-qam", "head")
    assert needed(tmp_path) == "false"
    assert needed(tmp_path, "--base", base) == "true"  # its base side is still evaluated locally
