"""--base REF: which agents changed since REF, and how each case moved between base and head.

REF's files are read through git (`GitTree`), never by checking anything out. On a
PR the comparison point is the merge base of REF and HEAD, so commits that landed
on main after the branch was cut do not count as the PR's changes.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agentci.errors import AgentciError
from agentci.repo import Agent, Repo, load_repo
from agentci.source import GitTree, Source


@dataclass
class Base:
    ref: str
    commit: str
    repo: Repo


def open_base(root: Path, ref: str) -> Base:
    if not (root / ".git").exists() and _git(root, "rev-parse", "--git-dir") is None:
        raise AgentciError(f"--base {ref}: {root} is not a git repository", hint="run inside a clone, or drop --base")
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is None:
        raise AgentciError(
            f"--base {ref}: no such commit in {root}",
            hint="fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin main)",
        )
    commit = _git(root, "merge-base", ref, "HEAD") or _git(root, "rev-parse", f"{ref}^{{commit}}") or ref
    return Base(ref, commit, load_repo(GitTree(root, commit)))


def _git(root: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def changed(head_agent: Agent, head: Source, base_repo: Repo) -> bool:
    """True when any file the agent depends on (manifest, prompt, tools, sets, knowledge) differs."""
    base_agent = base_repo.agent(head_agent.name)
    if base_agent is None:
        return True
    head_files = head_agent.files(head)
    if head_files != base_agent.files(base_repo.source):
        return True
    return any(_digest(head, p) != _digest(base_repo.source, p) for p in head_files)


def _digest(source: Source, path: str) -> str | None:
    try:
        return hashlib.sha256(source.read_bytes(path)).hexdigest()
    except (OSError, ValueError):
        return None


def change(head_status: str, base_status: str | None) -> str | None:
    """regression: pass -> fail; fix: fail -> pass; new: no such case on base; else same.
    Errors and skips on either side are not a verdict about the model, so no change is claimed."""
    if base_status is None:
        return "new"
    if head_status not in ("pass", "fail") or base_status not in ("pass", "fail"):
        return None
    if base_status == "pass" and head_status == "fail":
        return "regression"
    if base_status == "fail" and head_status == "pass":
        return "fix"
    return "same"
