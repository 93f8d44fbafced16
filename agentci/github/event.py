"""The event that triggered the workflow: GITHUB_EVENT_NAME + the JSON at GITHUB_EVENT_PATH."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentci.errors import AgentciError

PR_EVENTS = ("pull_request", "pull_request_target")
#: events whose run has the repository's secrets while the code may come from a fork
SECRETS_WITH_FORK_CODE = ("pull_request_target", "workflow_run")
#: pull_request actions that re-evaluate by default; others (closed, labeled, edited, …) do not
PR_ACTIONS = ("opened", "synchronize", "reopened", "ready_for_review")
#: the opt-in for evaluating such code with keys (the Action's
#: `dangerously-evaluate-untrusted-code-with-secrets` input)
DANGER_ENV = "AGENTCI_DANGEROUSLY_EVALUATE_UNTRUSTED_CODE_WITH_SECRETS"


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    repository: str = ""  # owner/name
    sha: str = ""  # GITHUB_SHA
    ref: str = ""  # GITHUB_REF
    run_url: str | None = None

    @property
    def is_pr(self) -> bool:
        return self.name in PR_EVENTS

    @property
    def pr(self) -> dict[str, Any]:
        pr = self.payload.get("pull_request")
        return pr if isinstance(pr, dict) else {}

    @property
    def pr_number(self) -> int | None:
        number = self.pr.get("number", self.payload.get("number"))
        return number if isinstance(number, int) else None

    @property
    def action(self) -> str | None:
        return _get(self.payload, "action")

    @property
    def is_merge_group(self) -> bool:
        return self.name == "merge_group"

    @property
    def base_sha(self) -> str | None:
        """What a PR (or a merge-queue group) is compared with. merge_group payloads carry
        `base_sha` in GitHub's docs but not in every example (octokit/webhooks
        payload-examples/api.github.com/merge_group/checks_requested.payload.json has only
        head_sha/head_ref/base_ref): without it the queue commit's first parent is the base."""
        if self.is_merge_group:
            return _get(self.payload, "merge_group", "base_sha")
        return _get(self.pr, "base", "sha")

    @property
    def head_sha(self) -> str | None:
        """The PR head (what the author pushed); GITHUB_SHA is the test merge commit. For a
        merge group, the queue's commit: the status a merge queue waits for goes there."""
        if self.is_merge_group:
            return _get(self.payload, "merge_group", "head_sha") or self.sha or None
        return _get(self.pr, "head", "sha") or self.sha or None

    @property
    def is_tag_or_deletion(self) -> bool:
        """A tag push, or a push that deleted its ref (octokit/webhooks push/1.payload.json:
        `"ref": "refs/tags/simple-tag"`, `"deleted": true`, `"after": "000…"`)."""
        if self.name not in ("push", "create", "delete"):
            return False
        return (
            self.name == "delete"
            or self.payload.get("deleted") is True
            or self.ref.startswith("refs/tags/")
            or str(self.payload.get("ref") or "").startswith("refs/tags/")
        )

    @property
    def is_fork(self) -> bool:
        """A fork PR runs without secrets and with a read-only token."""
        if not self.is_pr or not self.pr:
            return False
        head = self.pr.get("head")
        if isinstance(head, dict) and "repo" in head and head["repo"] is None:
            return True  # the fork was deleted after the PR was opened
        head_name = _get(self.pr, "head", "repo", "full_name")
        base_name = _get(self.pr, "base", "repo", "full_name")
        return bool(head_name and base_name and head_name != base_name)

    @property
    def head_untrusted(self) -> bool:
        """The checked-out code may be someone else's than the workflow author's: PR events, the
        merge queue, workflow_run, and pushes to other branches than the default one."""
        if self.name in (*PR_EVENTS, "workflow_run", "merge_group"):
            return True
        return self.name == "push" and not self.is_default_branch_push

    @property
    def default_branch(self) -> str | None:
        return _get(self.payload, "repository", "default_branch")

    @property
    def is_default_branch_push(self) -> bool:
        branch = self.default_branch
        return self.name == "push" and bool(branch) and self.ref == f"refs/heads/{branch}"


def load_event(env: Mapping[str, str] | None = None) -> Event | None:
    """The current event, or None outside GitHub Actions (no GITHUB_EVENT_NAME)."""
    env = env if env is not None else os.environ
    name = env.get("GITHUB_EVENT_NAME")
    if not name:
        return None
    payload: dict[str, Any] = {}
    path = env.get("GITHUB_EVENT_PATH")
    if path:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise AgentciError(
                f"GITHUB_EVENT_PATH={path}: cannot read the event: {exc}",
                hint="run inside GitHub Actions, or unset GITHUB_EVENT_NAME to run locally",
            ) from None
        payload = data if isinstance(data, dict) else {}
    repository = env.get("GITHUB_REPOSITORY") or _get(payload, "repository", "full_name") or ""
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    run_id = env.get("GITHUB_RUN_ID")
    run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
    return Event(
        name=name,
        payload=payload,
        repository=repository,
        sha=env.get("GITHUB_SHA", ""),
        ref=env.get("GITHUB_REF", ""),
        run_url=run_url,
    )


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if data not in ("", None) else None


def refuse_untrusted_code_with_secrets(
    event: Event | None, root: Path, provider: str | None, env: Mapping[str, str] | None = None
) -> None:
    """pull_request_target and workflow_run hand the repository's secrets to a run whose checkout
    may be a fork's code: evaluating it would aim those secrets wherever that code says. Refused
    unless the checkout is the trusted commit itself (GITHUB_SHA), every model is the embedded one,
    or the workflow opts in by name."""
    from agentci import git

    env = os.environ if env is None else env
    if event is None or event.name not in SECRETS_WITH_FORK_CODE or provider == "local":
        return
    if env.get(DANGER_ENV, "").lower() in ("1", "true", "yes"):
        return
    head = git.out(root, "rev-parse", "HEAD") or ""
    if head and head == event.sha:
        return  # the checkout is the base branch's own commit: trusted code
    raise AgentciError(
        f"refusing to evaluate checked-out code {head[:12] or '?'} under `{event.name}`: this event gives the run "
        "the repository's secrets, and the checkout is not the trusted commit "
        f"{event.sha[:12] or '(GITHUB_SHA unset)'}, so the code under review could aim them at any server",
        hint="run agentci on `pull_request` (fork PRs get no secrets; add `eval.fork_provider: local`), and for "
        "keyed evals of fork PRs use a separate job gated on a maintainer's label; or pass --provider local; "
        f"to accept the risk, set the Action input dangerously-evaluate-untrusted-code-with-secrets ({DANGER_ENV}=true)",
    )
