"""Status write-back: commit `deployment-status.json` (every environment's state) to the repo.

In GitHub Actions (GITHUB_ACTIONS=true with GITHUB_TOKEN and GITHUB_REPOSITORY) the file
is written through the Contents API (agentci.github.api, PyGithub imported lazily), with `[skip ci]` in the
message so the commit does not trigger another run, the author from agentci.yaml
`status.author_name/author_email`, and a retry when the branch moved underneath (409/422
on a stale blob sha). `status.mode` picks the target: `commit` (the deployed branch),
`branch` (a status branch, `agentci-status` unless `status.branch` names one: for protected
branches), `deployments` (no file; the GitHub Deployment is the record). The GitHub Deployment
itself is agentci.github.deployments' business. Locally the file is written in the work tree
and committed with `git commit -- <file>`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from agentci.config import Config
from agentci.errors import AgentciError


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


def write_back(root: Path, config: Config, doc: dict[str, Any], log: Any = print) -> str:
    """Returns where the status went ("github", "git", "file", "deployments")."""
    env = os.environ
    if config.status.mode == "deployments":
        return "deployments"  # the GitHub Deployment (agentci.github.deployments) is the record
    if (
        env.get("GITHUB_ACTIONS") == "true"
        and env.get("GITHUB_TOKEN")
        and env.get("GITHUB_REPOSITORY")
    ):
        github_contents(config, doc, log)
        return "github"
    return git_commit(root, config, doc, log)


def git_commit(root: Path, config: Config, doc: dict[str, Any], log: Any) -> str:
    path = root / config.status_file
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(
        render(merge(path.read_bytes() if path.is_file() else None, doc)), encoding="utf-8"
    )
    os.replace(tmp, path)
    if config.status.mode == "branch":
        log(
            f"status: wrote {config.status_file} in the work tree (status.mode branch commits it to the "
            "status branch in GitHub Actions only)"
        )
        return "file"
    inside = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True
    )
    if inside.returncode != 0:
        return "file"
    rel = os.path.relpath(path, inside.stdout.strip())
    git = [
        "git",
        "-C",
        inside.stdout.strip(),
        "-c",
        f"user.name={config.status.author_name}",
        "-c",
        f"user.email={config.status.author_email}",
    ]
    subprocess.run([*git, "add", "--", rel], capture_output=True, check=False)
    author = f"{config.status.author_name} <{config.status.author_email}>"
    proc = subprocess.run(
        [*git, "commit", "-q", f"--author={author}", "-m", message(doc), "--", rel],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 and "nothing" not in (proc.stdout + proc.stderr):
        log(
            f"status: could not commit {rel}: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}"
        )
        return "file"
    return "git"


STATUS_BRANCH = "agentci-status"


def github_contents(config: Config, doc: dict[str, Any], log: Any) -> None:
    from agentci.github.api import GitHub, GitHubError

    gh = GitHub.from_env()
    if gh is None:
        return
    if config.status.mode == "branch":
        branch = config.status.branch or STATUS_BRANCH
    else:
        branch = config.status.branch or os.environ.get("GITHUB_REF_NAME") or "main"
    try:
        if config.status.mode == "branch":
            start = os.environ.get("GITHUB_SHA") or doc.get("commit")
            if start and gh.ensure_branch(branch, str(start)):
                log(f"status: created branch {branch} for {config.status_file}")
        # put_file re-reads, re-merges and retries when the branch moved (409/422 on a stale blob sha).
        gh.put_file(
            config.status_file,
            lambda old: render(merge(old, doc)).encode(),
            message(doc),
            branch,
            author=(config.status.author_name, config.status.author_email),
        )
    except GitHubError as exc:
        if exc.protected:
            raise AgentciError(
                f"could not write {config.status_file}: {exc.message}", hint=exc.hint, exit_code=1
            ) from None
        raise AgentciError(
            f"could not write {config.status_file} through the GitHub Contents API: {exc}",
            hint="the workflow needs `permissions: contents: write`",
            exit_code=1,
        ) from None
