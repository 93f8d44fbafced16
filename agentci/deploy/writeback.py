"""Status write-back: `deployment-status.json` (every environment's state), its message and
merge rules, and the local write: the file in the work tree, committed with
`git commit -- <file>`. In GitHub Actions `agentci.github.status_file.write_back` writes it
through the Contents API instead, with these same rules; it also picks between the two.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agentci import git
from agentci.config import Config
from agentci.files import write_atomic


def message(doc: dict[str, Any]) -> str:
    commit = (doc.get("commit") or "worktree")[:12]
    return f"agentci: deployment status {doc.get('environment')} @ {commit}: {doc.get('result')} [skip ci]"


def render(doc: dict[str, Any]) -> str:
    from agentci import redact

    return redact.text(json.dumps(redact.scrub(doc), indent=2, sort_keys=True) + "\n")


def merge(old: bytes | str | None, doc: dict[str, Any]) -> dict[str, Any]:
    """The status file holds every environment: `environments: {name: doc}`, with the latest
    deploy's fields also at the top level (what single-environment readers already read)."""
    try:
        prev = json.loads(old) if old else {}
    except ValueError:
        prev = {}
    prev = prev if isinstance(prev, dict) else {}
    envs = prev.get("environments")
    envs = {k: v for k, v in envs.items() if isinstance(v, dict)} if isinstance(envs, dict) else {}
    if (
        not envs
        and isinstance(prev.get("environment"), str)
        and isinstance(prev.get("agents"), dict)
    ):
        envs[prev["environment"]] = {
            k: v for k, v in prev.items() if k != "version"
        }  # a version 1 file
    envs[str(doc.get("environment"))] = {
        k: v for k, v in doc.items() if k not in ("version", "environments")
    }
    return {**doc, "version": 2, "environments": dict(sorted(envs.items()))}


def git_commit(root: Path, config: Config, doc: dict[str, Any], log: Any) -> str:
    path = root / config.status_file
    write_atomic(path, render(merge(path.read_bytes() if path.is_file() else None, doc)))
    if config.status.mode == "branch":
        log(
            f"status: wrote {config.status_file} in the work tree (status.mode branch commits it to the "
            "status branch in GitHub Actions only)"
        )
        return "file"
    top = git.toplevel(root)
    if top is None:
        return "file"
    rel = os.path.relpath(path, top)
    name, email = config.status.author_name, config.status.author_email
    who = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    git.run(top, *who, "add", "--", rel)
    proc = git.run(
        top, *who, "commit", "-q", f"--author={name} <{email}>", "-m", message(doc), "--", rel
    )
    out, err = (b.decode("utf-8", "replace") for b in (proc.stdout, proc.stderr))
    if proc.returncode != 0 and "nothing" not in (out + err):
        log(f"status: could not commit {rel}: {(err or out).strip().splitlines()[-1:]}")
        return "file"
    return "git"
