"""Status write-back: commit `deployment-status.json` to the repo and record a GitHub Deployment.

In GitHub Actions (GITHUB_ACTIONS=true with GITHUB_TOKEN and GITHUB_REPOSITORY) the file
is written through the Contents API (agentci.github.api, PyGithub imported lazily), with `[skip ci]` in the
message so the commit does not trigger another run, the author from agentci.yaml
`status.author_name/author_email`, and a retry when the branch moved underneath (409/422
on a stale blob sha). A Deployment plus a deployment status is created for the environment.
Locally the file is written in the work tree and committed with `git commit -- <file>`.
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


def write_back(root: Path, config: Config, doc: dict[str, Any], log: Any = print) -> str:
    """Returns where the status went ("github", "git", "file")."""
    env = os.environ
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_TOKEN") and env.get("GITHUB_REPOSITORY"):
        github_contents(config, doc, log)
        github_deployment(config, doc, log)
        return "github"
    return git_commit(root, config, doc, log)


def git_commit(root: Path, config: Config, doc: dict[str, Any], log: Any) -> str:
    path = root / config.status_file
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render(doc), encoding="utf-8")
    os.replace(tmp, path)
    inside = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if inside.returncode != 0:
        return "file"
    rel = os.path.relpath(path, inside.stdout.strip())
    git = ["git", "-C", inside.stdout.strip(), "-c", f"user.name={config.status.author_name}",
           "-c", f"user.email={config.status.author_email}"]
    subprocess.run([*git, "add", "--", rel], capture_output=True, check=False)
    author = f"{config.status.author_name} <{config.status.author_email}>"
    proc = subprocess.run([*git, "commit", "-q", f"--author={author}", "-m", message(doc), "--", rel],
                          capture_output=True, text=True)
    if proc.returncode != 0 and "nothing" not in (proc.stdout + proc.stderr):
        log(f"status: could not commit {rel}: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
        return "file"
    return "git"


def github_contents(config: Config, doc: dict[str, Any], log: Any) -> None:
    from agentci.github.api import GitHub, GitHubError

    gh = GitHub.from_env()
    if gh is None:
        return
    branch = config.status.branch or os.environ.get("GITHUB_REF_NAME") or "main"
    try:
        # put_file re-reads and retries when the branch moved (409/422 on a stale blob sha).
        gh.put_file(config.status_file, render(doc).encode(), message(doc), branch,
                    author=(config.status.author_name, config.status.author_email))
    except GitHubError as exc:
        raise AgentciError(f"could not write {config.status_file} through the GitHub Contents API: {exc}",
                           hint="the workflow needs `permissions: contents: write`", exit_code=1) from None


def github_deployment(config: Config, doc: dict[str, Any], log: Any) -> None:
    from agentci.github.api import GitHub, GitHubError

    gh = GitHub.from_env()
    ref = doc.get("commit") or os.environ.get("GITHUB_SHA")
    if gh is None or not ref:
        return
    env = config.workspace.environment
    try:
        dep = gh.create_deployment(ref, env, description="agentci deploy",
                                   payload={"agents": {k: v.get("release") for k, v in doc["agents"].items()}})
        gh.create_deployment_status(dep, "success" if doc.get("result") == "ok" else "failure",
                                    description=f"agentci: {doc.get('result')}", log_url=doc.get("run_url"))
    except GitHubError as exc:
        log(f"status: could not record a GitHub deployment ({exc}); the workflow needs "
            "`permissions: deployments: write`")
