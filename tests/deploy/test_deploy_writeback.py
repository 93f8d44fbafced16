"""Status write-back in Actions: the Contents API (with a branch that moves under us) and a
GitHub Deployment with its status, against the GitHub REST stand-in."""

from __future__ import annotations

import json
from pathlib import Path

from deploy_helpers import git, make_repo, run_cli

from tests.servers.github_stub import GitHubStub


def test_status_through_contents_api_and_deployment(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"],
                     config="  environment: staging\nstatus:\n  author_name: Deploy Bot\n  author_email: bot@example.com\n")
    head = git(repo, "rev-parse", "HEAD")
    with GitHubStub(repo="octo/agents", token="ghs_tok") as gh:
        gh.move_branch_on_put = 2  # two other commits land on main while we write
        env = {"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": "ghs_tok", "GITHUB_REPOSITORY": "octo/agents",
               "GITHUB_API_URL": gh.url, "GITHUB_REF_NAME": "main", "GITHUB_RUN_ID": "77",
               "GITHUB_SERVER_URL": "https://github.com", "GITHUB_SHA": head}
        proc = run_cli("deploy", str(repo), "--no-smoke", "--format", "json", env=env)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["status_written"] == "github"
        doc = json.loads(gh.state.files[("main", "deployment-status.json")])
        assert doc["agents"]["alpha"] == {**doc["agents"]["alpha"], "commit": head, "sync": "Synced",
                                          "health": "Healthy",
                                          "run_url": "https://github.com/octo/agents/actions/runs/77"}
        puts = gh.calls("PUT", r"/contents/deployment-status.json")
        assert len(puts) == 3  # two 409s (branch moved), then written
        body = puts[-1].body
        assert "[skip ci]" in body["message"] and body["author"]["name"] == "Deploy Bot"
        assert gh.state.deployments[0]["environment"] == "staging" and gh.state.deployments[0]["ref"] == head
        assert gh.state.deployment_statuses[-1]["state"] == "success"
        assert git(repo, "log", "-1", "--format=%s") == "initial"  # no local commit in Actions
