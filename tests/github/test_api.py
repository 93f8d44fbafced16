from __future__ import annotations

import pytest

from agentci.github.api import GitHub, GitHubError
from tests.github.conftest import REPO, TOKEN
from tests.servers.github_stub import GitHubStub

MARK = "<!-- agentci:agentci -->"


def client(stub: GitHubStub) -> GitHub:
    return GitHub(TOKEN, REPO, stub.url, write_interval=0)


def test_sticky_comment_created_then_edited_then_left_alone(stub: GitHubStub) -> None:
    for i in range(120):  # more than one page of other people's comments
        stub.add_comment(7, f"comment {i}")
    gh = client(stub)
    first = gh.upsert_comment(7, f"{MARK}\nv1", MARK)
    second = gh.upsert_comment(7, f"{MARK}\nv2", MARK)
    third = gh.upsert_comment(7, f"{MARK}\nv2\n", MARK)
    assert (first.action, second.action, third.action) == ("created", "updated", "unchanged")
    ours = [c for c in stub.comments_on(7) if c["body"].startswith(MARK)]
    assert len(ours) == 1 and ours[0]["body"] == f"{MARK}\nv2"
    assert len(stub.calls("POST", r"/issues/7/comments$")) == 1
    assert len(stub.calls("PATCH", r"/issues/comments/")) == 1
    pages = [r.query.get("page", "1") for r in stub.calls("GET", r"/issues/7/comments$")]
    assert pages == ["1", "2"] * 3  # followed the Link header each time
    assert all(r.auth == f"token {TOKEN}" for r in stub.requests)


def test_marker_per_config_keeps_two_jobs_apart(stub: GitHubStub) -> None:
    gh = client(stub)
    gh.upsert_comment(7, "<!-- agentci:a -->\nA", "<!-- agentci:a -->")
    gh.upsert_comment(7, "<!-- agentci:b -->\nB", "<!-- agentci:b -->")
    gh.upsert_comment(7, "<!-- agentci:a -->\nA2", "<!-- agentci:a -->")
    assert sorted(c["body"] for c in stub.comments_on(7)) == [
        "<!-- agentci:a -->\nA2",
        "<!-- agentci:b -->\nB",
    ]


def test_a_pasted_marker_loses_to_the_bots_comment(stub: GitHubStub) -> None:
    gh = client(stub)
    stub.add_comment(7, f"{MARK}\nours", login="github-actions[bot]", user_type="Bot")
    stub.add_comment(7, f"{MARK}\nimpostor", login="mallory")
    assert gh.upsert_comment(7, f"{MARK}\nnew", MARK).action == "updated"
    assert [c["body"] for c in stub.comments_on(7)] == [f"{MARK}\nnew", f"{MARK}\nimpostor"]


def test_status_check_run_and_deployment(stub: GitHubStub) -> None:
    gh = client(stub)
    gh.set_status(
        "a" * 40,
        "fail",
        "fail: pass rate 50.0%, 1 regression(s)",
        "https://github.com/o/r/actions/runs/1",
    )
    assert (
        stub.state.statuses[0]["context"] == "agentci"
        and stub.state.statuses[0]["state"] == "failure"
    )
    assert len(stub.requests) == 1  # no GET of the commit first
    gh.create_check_run("a" * 40, "pass", "agentci passed", "all good")
    assert stub.state.check_runs[0]["conclusion"] == "success"
    dep = gh.create_deployment("a" * 40, "production", "agentci deploy")
    gh.create_deployment_status(
        dep, "success", "deployed", log_url="https://github.com/o/r/actions/runs/1"
    )
    assert stub.state.deployments[0]["environment"] == "production"
    assert stub.state.deployment_statuses[0]["state"] == "success"


def test_put_file_retries_when_the_branch_moves(stub: GitHubStub) -> None:
    gh = client(stub)
    assert (
        gh.put_file("deployment-status.json", b"{}", "status [skip ci]", "main").action == "created"
    )
    stub.move_branch_on_put = 2
    done = gh.put_file(
        "deployment-status.json", b'{"a": 1}', "status [skip ci]", "main", author=("bot", "b@x")
    )
    assert done.action == "updated" and done.attempts == 3
    assert stub.state.files[("main", "deployment-status.json")] == b'{"a": 1}'
    assert (
        gh.put_file("deployment-status.json", b'{"a": 1}', "status [skip ci]", "main").action
        == "unchanged"
    )
    puts = stub.calls("PUT", r"/contents/deployment-status.json")
    assert puts[-1].body["committer"] == {"name": "bot", "email": "b@x"}


def test_forbidden_is_reported_as_such(stub: GitHubStub) -> None:
    stub.fail["POST comments"] = 403
    with pytest.raises(GitHubError) as err:
        client(stub).upsert_comment(7, f"{MARK}\nx", MARK)
    assert err.value.forbidden and "cannot write" in err.value.hint
    bad = GitHub("wrong", REPO, stub.url, write_interval=0, retry=False)
    with pytest.raises(GitHubError) as err2:
        bad.set_status("a" * 40, "pass", "ok")
    assert err2.value.status == 401 and TOKEN not in str(err2.value)
