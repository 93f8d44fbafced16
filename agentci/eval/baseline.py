"""--base REF: which agents changed since REF, and how each case moved between base and head.

REF's files are read through git (`GitTree`), never by checking anything out. On a
PR the comparison point is the merge base of REF and HEAD, so commits that landed
on main after the branch was cut do not count as the PR's changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentci import git
from agentci.errors import AgentciError
from agentci.repo import Agent, Repo, load_repo
from agentci.source import GitTree, Source


@dataclass
class Base:
    ref: str
    commit: str
    repo: Repo


def open_base(root: Path, ref: str, merge_base: str | None = None) -> Base:
    """The base at the merge base of `ref` and HEAD; `merge_base`: already found (a flow)."""
    if merge_base:
        return Base(ref, merge_base, load_repo(GitTree(root, merge_base), eval_sets=False))
    if not (root / ".git").exists() and _git(root, "rev-parse", "--git-dir") is None:
        raise AgentciError(
            f"--base {ref}: {root} is not a git repository",
            hint="run inside a clone, or drop --base",
        )
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is None:
        raise AgentciError(
            f"--base {ref}: no such commit in {root}",
            hint="fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin main)",
        )
    commit = (
        _git(root, "merge-base", ref, "HEAD") or _git(root, "rev-parse", f"{ref}^{{commit}}") or ref
    )
    # Golden sets are read only for the agents that changed (engine: load_eval_sets).
    return Base(ref, commit, load_repo(GitTree(root, commit), eval_sets=False))


def _git(root: Path, *args: str) -> str | None:
    return git.out(root, *args) or None


def changed(head_agent: Agent, head: Source, base_repo: Repo) -> bool:
    """True when any file the agent depends on (manifest, prompt, tools, sets, knowledge) differs."""
    base_agent = base_repo.agent(head_agent.name)
    if base_agent is None:
        return True
    head_files = head_agent.files(head)
    if head_files != base_agent.files(base_repo.source):
        return True
    return any(not _same(head, base_repo.source, p) for p in head_files)


def config_changed(head: Source, base: Source) -> bool:
    """agentci.yaml differs: its judge, gates, providers and limits shape every agent's result."""
    from agentci.config import CONFIG_FILE

    return not _same(head, base, CONFIG_FILE)


def _same(head: Source, base: Source, path: str) -> bool:
    """The file has the same bytes on both sides (or is unreadable on both). A git base is
    compared by object id, so an unchanged agent costs no read of the base commit."""
    blob_id = getattr(base, "blob_id", None)
    if blob_id is None:
        return _digest(head, path) == _digest(base, path)
    want = blob_id(path)
    try:
        data = head.read_bytes(path)
    except (OSError, ValueError):
        return want is None
    if want is None:
        return False
    algo = hashlib.sha256 if len(want) == 64 else hashlib.sha1  # object-format sha256 / sha1
    return algo(b"blob %d\0" % len(data) + data).hexdigest() == want


#: agentci.yaml settings a reviewer must see change: they decide what a pass means.
_WATCHED = (
    ("eval.gate.min_pass_rate", lambda c: c.eval.gate.min_pass_rate),
    ("eval.gate.max_regressions", lambda c: c.eval.gate.max_regressions),
    ("eval.judge", lambda c: _ref(c.eval.judge)),
    ("eval.embedding", lambda c: _ref(c.eval.embedding)),
    ("eval.provider", lambda c: c.eval.provider),
    ("eval.fork_provider", lambda c: c.eval.fork_provider),
    ("endpoints", lambda c: [e.get("url") for e in c.endpoints]),
)


def _ref(ref: Any) -> str | None:
    if ref is None:
        return None
    return (
        f"{ref.provider}/{ref.name}"
        + (f" at {ref.base_url}" if ref.base_url else "")
        + (f" with {ref.api_key_env}" if ref.api_key_env else "")
    )


def config_changes(head: Any, base: Any) -> list[str]:
    """'eval.gate.min_pass_rate 0.8 → 0.0' for each watched setting the head changes."""
    out = []
    for name, get in _WATCHED:
        old, new = get(base), get(head)
        if old != new:
            out.append(f"{name} {_show(old)} → {_show(new)}")
    return out


def _show(value: Any) -> str:
    if value is None or value == []:
        return "(default)"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


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
