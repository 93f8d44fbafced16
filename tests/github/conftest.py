from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.github_stub import GitHubStub
from tests.servers.openai_stub import Stub

REPO = "octo/app"
TOKEN = "ghs_test_token_123"


@pytest.fixture
def stub() -> Iterator[GitHubStub]:
    with GitHubStub(REPO, TOKEN, prefix="/api/v3") as gh:
        yield gh


@pytest.fixture
def model() -> Iterator[Stub]:
    """The OpenAI stand-in the agents of these tests talk to."""
    s = Stub()
    yield s
    s.stop()


def pr_event(
    tmp_path: Path,
    number: int = 7,
    *,
    fork: bool = False,
    base_sha: str = "b" * 40,
    head_sha: str = "a" * 40,
) -> Path:
    head_repo = "mallory/app" if fork else REPO
    payload = {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": head_sha, "ref": "feature", "repo": {"full_name": head_repo}},
            "base": {"sha": base_sha, "ref": "main", "repo": {"full_name": REPO}},
        },
        "repository": {"full_name": REPO, "default_branch": "main"},
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return path


def actions_env(
    stub: GitHubStub, tmp_path: Path, event: Path, name: str = "pull_request"
) -> dict[str, str]:
    (tmp_path / "out").write_text("")
    (tmp_path / "summary").write_text("")
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": stub.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "99",
        "GITHUB_SHA": "c" * 40,
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
