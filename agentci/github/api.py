"""All GitHub REST calls, through PyGithub (imported lazily: `agentci validate` stays fast).

The base URL comes from GITHUB_API_URL (GitHub Enterprise Server, or a stand-in in tests).
Errors become GitHubError with the HTTP status, so callers can degrade on 403 (a fork's
read-only token) instead of failing the job. The token is never logged.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from agentci import redact
from agentci.errors import AgentciError

DEFAULT_API_URL = "https://api.github.com"
STATUS_CONTEXT = "agentci"
#: commit status state for each verdict. `neutral` (nothing that needed evaluating was
#: evaluated) must not satisfy a required check: a check run's own "neutral" would.
STATUS_STATE = {
    "pass": "success",
    "fail": "failure",
    "error": "error",
    "neutral": "error",
    "pending": "pending",
}
CHECK_CONCLUSION = {
    "pass": "success",
    "fail": "failure",
    "error": "failure",
    "neutral": "failure",
    "skipped": "neutral",
}


class GitHubError(AgentciError):
    """A GitHub API call failed; `status` is the HTTP status (0 for network errors)."""

    def __init__(self, message: str, status: int = 0, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.protected = False  # refused by branch protection / a ruleset

    @property
    def forbidden(self) -> bool:
        return self.status in (401, 403)


@dataclass(frozen=True)
class CommentResult:
    action: str  # created | updated | unchanged
    id: int
    url: str


@dataclass(frozen=True)
class FileResult:
    action: str  # created | updated | unchanged
    commit: str | None
    attempts: int


class GitHub:
    def __init__(
        self,
        token: str,
        repository: str,
        api_url: str | None = None,
        *,
        retry: bool = True,
        write_interval: float = 1.0,
    ) -> None:
        from github import Auth, Github, GithubRetry

        if "/" not in repository:
            raise AgentciError(f"GITHUB_REPOSITORY={repository!r} is not owner/name")
        self.repository = repository
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=(api_url or DEFAULT_API_URL).rstrip("/"),
            lazy=True,  # no GET before each call: one request per action where the API allows
            per_page=100,
            timeout=30,
            retry=GithubRetry(total=3) if retry else None,
            # GitHub asks for a pause between writes (secondary rate limits); PyGithub's default.
            seconds_between_writes=write_interval,
            seconds_between_requests=min(write_interval, 0.25),
        )
        self.repo = self._gh.get_repo(repository)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GitHub | None:
        """A client from GITHUB_TOKEN / GITHUB_REPOSITORY / GITHUB_API_URL, or None when
        there is no token or repository (local runs)."""
        env = env if env is not None else os.environ
        token = env.get("GITHUB_TOKEN") or env.get("INPUT_GITHUB_TOKEN")
        repository = env.get("GITHUB_REPOSITORY")
        if not token or not repository:
            return None
        return cls(token, repository, env.get("GITHUB_API_URL"))

    # -- PR comment --------------------------------------------------------------------
    def upsert_comment(self, number: int, body: str, marker: str) -> CommentResult:
        """The sticky comment: find ours by `marker` (a hidden HTML comment on its first
        line), edit it in place, create it only if absent, and leave it alone if unchanged."""
        body = redact.text(body)
        issue = self.repo.get_issue(number)
        mine = None
        with _errors(f"listing comments on #{number}"):
            for comment in issue.get_comments():
                ours = (comment.body or "").lstrip().startswith(marker)
                # Prefer one a bot wrote: anyone can paste the marker into a comment.
                if ours and (
                    mine is None or (comment.user is not None and comment.user.type == "Bot")
                ):
                    mine = comment
        if mine is not None:
            if _same(mine.body or "", body):
                return CommentResult("unchanged", mine.id, mine.html_url)
            with _errors(f"editing comment {mine.id} on #{number}"):
                mine.edit(body)
            return CommentResult("updated", mine.id, mine.html_url)
        with _errors(f"commenting on #{number}"):
            created = issue.create_comment(body)
        return CommentResult("created", created.id, created.html_url)

    # -- verdict -------------------------------------------------------------------------
    def set_status(
        self,
        sha: str,
        verdict: str,
        description: str,
        target_url: str | None = None,
        context: str = STATUS_CONTEXT,
    ) -> None:
        """A commit status named `agentci`: what branch protection can require."""
        params: dict[str, Any] = {
            "state": STATUS_STATE.get(verdict, "error"),
            "description": redact.text(description)[:140],
            "context": context,
        }
        if target_url:
            params["target_url"] = target_url
        with _errors(f"setting the {context} status on {sha[:12]}"):
            # Through the requester: Commit.create_status would first GET the commit.
            self._gh.requester.requestJsonAndCheck(
                "POST", f"{self.repo.url}/statuses/{sha}", input=params
            )

    def create_check_run(
        self,
        sha: str,
        verdict: str,
        title: str,
        summary: str,
        details_url: str | None = None,
        name: str = STATUS_CONTEXT,
    ) -> int:
        """A check run (needs `checks: write`, GitHub App tokens only); the summary is
        markdown and capped at 65,535 characters by GitHub."""
        kwargs: dict[str, Any] = {
            "name": name,
            "head_sha": sha,
            "status": "completed",
            "conclusion": CHECK_CONCLUSION.get(verdict, "neutral"),
            "output": {"title": redact.text(title)[:255], "summary": redact.text(summary)[:65_000]},
        }
        if details_url:
            kwargs["details_url"] = details_url
        with _errors(f"creating the {name} check run on {sha[:12]}"):
            run = self.repo.create_check_run(**kwargs)
        return int(run.id)

    # -- deployments (used by agentci deploy) -----------------------------------------------
    def create_deployment(
        self,
        ref: str,
        environment: str,
        description: str = "",
        payload: dict[str, Any] | None = None,
    ) -> int:
        with _errors(f"creating a deployment of {ref[:12]} to {environment}"):
            dep = self.repo.create_deployment(
                ref=ref,
                environment=environment,
                description=redact.text(description)[:140],
                auto_merge=False,
                required_contexts=[],
                payload=payload or {},
                transient_environment=False,
                production_environment=environment == "production",
            )
        return int(dep.id)

    def create_deployment_status(
        self,
        deployment_id: int,
        state: str,
        description: str = "",
        log_url: str | None = None,
        environment_url: str | None = None,
    ) -> None:
        """state: error, failure, inactive, in_progress, queued, pending or success."""
        params: dict[str, Any] = {
            "state": state,
            "description": redact.text(description)[:140],
            "auto_inactive": state == "success",
        }
        if log_url:
            params["log_url"] = log_url
        if environment_url:
            params["environment_url"] = environment_url
        with _errors(f"setting deployment {deployment_id} to {state}"):
            self._gh.requester.requestJsonAndCheck(
                "POST", f"{self.repo.url}/deployments/{deployment_id}/statuses", input=params
            )

    def list_deployments(
        self, environment: str, sha: str | None = None, limit: int = 30
    ) -> list[dict[str, Any]]:
        """The newest deployments to `environment` (at commit `sha`), newest first; one page."""
        params: dict[str, Any] = {"environment": environment, "per_page": max(1, min(limit, 100))}
        if sha:
            params["sha"] = sha
        with _errors(f"listing deployments to {environment}"):
            _, data = self._gh.requester.requestJsonAndCheck(
                "GET", f"{self.repo.url}/deployments", parameters=params
            )
        return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []

    def list_deployment_statuses(self, deployment_id: int, limit: int = 10) -> list[dict[str, Any]]:
        """A deployment's statuses, newest first; one page."""
        with _errors(f"listing the statuses of deployment {deployment_id}"):
            _, data = self._gh.requester.requestJsonAndCheck(
                "GET",
                f"{self.repo.url}/deployments/{deployment_id}/statuses",
                parameters={"per_page": max(1, min(limit, 100))},
            )
        return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []

    def ensure_branch(self, branch: str, from_sha: str) -> bool:
        """Create `branch` at `from_sha` unless it exists; True when it was created."""
        from github import GithubException

        try:
            self._gh.requester.requestJsonAndCheck("GET", f"{self.repo.url}/git/ref/heads/{branch}")
            return False
        except GithubException as exc:
            if exc.status != 404:
                raise _wrap(exc, f"reading branch {branch}") from None
        with _errors(f"creating branch {branch}"):
            self._gh.requester.requestJsonAndCheck(
                "POST",
                f"{self.repo.url}/git/refs",
                input={"ref": f"refs/heads/{branch}", "sha": from_sha},
            )
        return True

    def put_file(
        self,
        path: str,
        content: bytes | Callable[[bytes | None], bytes],
        message: str,
        branch: str,
        *,
        attempts: int = 4,
        author: tuple[str, str] | None = None,
    ) -> FileResult:
        """Write one file with a commit through the Contents API. If the branch moves
        between our read and our write (409/422: sha mismatch), read again and retry.
        `content` may be a function of the current bytes (None: no file), re-applied on each retry."""
        from github import GithubException, InputGitAuthor

        who = (
            {"author": InputGitAuthor(*author), "committer": InputGitAuthor(*author)}
            if author
            else {}
        )
        for attempt in range(1, attempts + 1):
            old: bytes | None = None
            try:
                current = self.repo.get_contents(path, ref=branch)
                sha = current.sha if not isinstance(current, list) else None
                old = current.decoded_content if sha else None  # type: ignore[union-attr]
            except GithubException as exc:
                if exc.status != 404:
                    raise _wrap(exc, f"reading {path} on {branch}") from None
                sha = None
            new = content(old) if callable(content) else content
            if sha and old == new:
                return FileResult("unchanged", None, attempt)
            try:
                if sha:
                    out = self.repo.update_file(path, message, new, sha, branch=branch, **who)
                else:
                    out = self.repo.create_file(path, message, new, branch=branch, **who)
                return FileResult("updated" if sha else "created", out["commit"].sha, attempt)
            except GithubException as exc:
                if protected_refusal(exc):
                    raise _wrap(exc, f"writing {path} on {branch}", protected=True) from None
                if exc.status in (409, 422) and attempt < attempts:
                    time.sleep(min(0.2 * 2**attempt, 2.0))
                    continue
                raise _wrap(exc, f"writing {path} on {branch}") from None
        raise GitHubError(
            f"writing {path} on {branch}: the branch kept moving", 409
        )  # pragma: no cover


def _same(old: str, new: str) -> bool:
    return old.replace("\r\n", "\n").strip() == new.replace("\r\n", "\n").strip()


class _errors:
    """Turn PyGithub/network exceptions into one-line GitHubErrors naming what we did."""

    def __init__(self, doing: str) -> None:
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None:
            return
        from github import GithubException

        if isinstance(exc, GithubException):
            raise _wrap(exc, self.doing) from None
        if isinstance(exc, OSError):
            raise GitHubError(
                f"{self.doing}: cannot reach the GitHub API: {exc}",
                0,
                hint="check GITHUB_API_URL and the network",
            ) from None


#: how GitHub words a write refused by branch protection or a ruleset (the status code varies by
#: API and is not documented for the Contents API, so the text decides)
PROTECTED = ("rule violation", "through a pull request", "protected branch", "branch protection")


def protected_refusal(exc: Any) -> bool:
    data = getattr(exc, "data", None)
    message = str(data.get("message") if isinstance(data, dict) else data or "").lower()
    return int(getattr(exc, "status", 0) or 0) in (403, 409, 422) and any(
        p in message for p in PROTECTED
    )


def _wrap(exc: Any, doing: str, protected: bool = False) -> GitHubError:
    status = int(getattr(exc, "status", 0) or 0)
    data = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    hint = ""
    if protected:
        err = GitHubError(
            f"{doing}: the branch is protected (GitHub answered {status}: "
            f"{' '.join(str(message or 'refused').split())})",
            status,
            hint="a protected branch or ruleset only takes changes through pull requests; set "
            "`status: {mode: branch}` in agentci.yaml (the status goes to the agentci-status "
            "branch) or `status: {mode: deployments}` (GitHub Deployments only)",
        )
        err.protected = True
        return err
    if status in (401, 403):
        hint = (
            "the token cannot write here (a fork PR, or missing `permissions:` in the workflow: "
            "pull-requests: write, statuses: write, contents: write for deploys)"
        )
    elif status == 404:
        hint = "check GITHUB_REPOSITORY and that the token can see the repository"
    return GitHubError(f"{doing}: GitHub answered {status}: {message or 'error'}", status, hint)
