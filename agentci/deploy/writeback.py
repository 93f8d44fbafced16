"""Status write-back: commit `deployment-status.json` to the repo and record a GitHub Deployment.

In GitHub Actions (GITHUB_ACTIONS=true with GITHUB_TOKEN and GITHUB_REPOSITORY) the file
is written through the Contents API (PyGithub, imported lazily), with `[skip ci]` in the
message so the commit does not trigger another run, the author from agentci.yaml
`status.author_name/author_email`, and a retry when the branch moved underneath (409/422
on a stale blob sha). A Deployment plus a deployment status is created for the environment.
Locally the file is written in the work tree and committed with `git commit -- <file>`.
(When agentci.github.api offers Contents/Deployments helpers, this module should call them.)
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from agentci.config import Config
from agentci.errors import AgentciError


def message(doc: dict[str, Any]) -> str:
    commit = (doc.get("commit") or "worktree")[:12]
    return f"agentci: deployment status {doc.get('environment')} @ {commit}: {doc.get('result')} [skip ci]"


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


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
    proc = subprocess.run([*git, "commit", "-q", "-m", message(doc), "--", rel], capture_output=True, text=True)
    if proc.returncode != 0 and "nothing" not in (proc.stdout + proc.stderr):
        log(f"status: could not commit {rel}: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
        return "file"
    return "git"


def _repo() -> Any:
    from github import Auth, Github

    base = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    gh = Github(auth=Auth.Token(os.environ["GITHUB_TOKEN"]), base_url=base, retry=None, timeout=30)
    return gh.get_repo(os.environ["GITHUB_REPOSITORY"], lazy=True)


def github_contents(config: Config, doc: dict[str, Any], log: Any, attempts: int = 5) -> None:
    from github import GithubException, InputGitAuthor

    repo = _repo()
    branch = config.status.branch or os.environ.get("GITHUB_REF_NAME") or "main"
    author = InputGitAuthor(config.status.author_name, config.status.author_email)
    content = render(doc)
    for attempt in range(attempts):
        try:
            try:
                current = repo.get_contents(config.status_file, ref=branch)
            except GithubException as exc:
                if exc.status != 404:
                    raise
                repo.create_file(config.status_file, message(doc), content, branch=branch,
                                 author=author, committer=author)
            else:
                sha = current.sha if not isinstance(current, list) else ""
                repo.update_file(config.status_file, message(doc), content, sha, branch=branch,
                                 author=author, committer=author)
            return
        except GithubException as exc:
            # 409/422: the branch moved (our blob sha is stale): read it again and retry.
            if exc.status in (409, 422) and attempt + 1 < attempts:
                time.sleep(0.2 * 2**attempt)
                continue
            raise AgentciError(f"could not write {config.status_file} through the GitHub Contents API: "
                               f"HTTP {exc.status}", hint="the workflow needs `permissions: contents: write`",
                               exit_code=1) from None


def github_deployment(config: Config, doc: dict[str, Any], log: Any) -> None:
    from github import GithubException

    ref = doc.get("commit") or os.environ.get("GITHUB_SHA")
    if not ref:
        return
    try:
        repo = _repo()
        dep = repo.create_deployment(ref=ref, environment=config.workspace.environment, auto_merge=False,
                                     required_contexts=[], description="agentci deploy",
                                     production_environment=config.workspace.environment == "production")
        state = "success" if doc.get("result") == "ok" else "failure"
        dep.create_status(state, log_url=doc.get("run_url") or "", description=f"agentci: {doc.get('result')}",
                          environment=config.workspace.environment, auto_inactive=True)
    except GithubException as exc:
        log(f"status: could not record a GitHub deployment (HTTP {exc.status}); "
            "the workflow needs `permissions: deployments: write`")
