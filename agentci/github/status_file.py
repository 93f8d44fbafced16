"""Status write-back in GitHub Actions: `deployment-status.json` through the Contents API.

In GitHub Actions (GITHUB_ACTIONS=true with GITHUB_TOKEN and GITHUB_REPOSITORY) the file
is written through the Contents API (agentci.github.api, PyGithub imported lazily), with
`[skip ci]` in the message so the commit does not trigger another run, the author from
agentci.yaml `status.author_name/author_email`, and a retry when the branch moved underneath
(409/422 on a stale blob sha). `status.mode` picks the target: `commit` (the deployed branch),
`branch` (a status branch, `agentci-status` unless `status.branch` names one: for protected
branches), `deployments` (no file; the GitHub Deployment is the record). The GitHub
Deployment itself is agentci.github.deployments' business. Elsewhere the file is written and
committed locally (`agentci.deploy.writeback.git_commit`). Here rather than in deploy/ because
github/ is the one place that reads the Actions environment and calls GitHub.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agentci.config import Config
from agentci.deploy.writeback import git_commit, merge, message, render
from agentci.errors import AgentciError


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
