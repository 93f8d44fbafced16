"""Status write-back in Actions: the Contents API (with a branch that moves under us) and a
GitHub Deployment with its status, against the GitHub REST stand-in."""

from __future__ import annotations

import json
from pathlib import Path

from deploy_helpers import commit_all, git, make_repo, run_cli

from tests.servers.github_stub import GitHubStub


def test_status_through_contents_api_and_deployment(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        agents=["alpha"],
        config="  environment: staging\nstatus:\n  author_name: Deploy Bot\n  author_email: bot@example.com\n",
    )
    head = git(repo, "rev-parse", "HEAD")
    with GitHubStub(repo="octo/agents", token="ghs_tok") as gh:
        gh.move_branch_on_put = 2  # two other commits land on main while we write
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_TOKEN": "ghs_tok",
            "GITHUB_REPOSITORY": "octo/agents",
            "GITHUB_API_URL": gh.url,
            "GITHUB_REF_NAME": "main",
            "GITHUB_RUN_ID": "77",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_SHA": head,
        }
        proc = run_cli("deploy", str(repo), "--no-smoke", "--format", "json", env=env)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["status_written"] == "github"
        doc = json.loads(gh.state.files[("main", "deployment-status.json")])
        assert doc["agents"]["alpha"] == {
            **doc["agents"]["alpha"],
            "commit": head,
            "sync": "Synced",
            "health": "Healthy",
            "run_url": "https://github.com/octo/agents/actions/runs/77",
        }
        puts = gh.calls("PUT", r"/contents/deployment-status.json")
        assert len(puts) == 3  # two 409s (branch moved), then written
        body = puts[-1].body
        assert "[skip ci]" in body["message"] and body["author"]["name"] == "Deploy Bot"
        assert (
            gh.state.deployments[0]["environment"] == "staging"
            and gh.state.deployments[0]["ref"] == head
        )
        newest = gh.state.deployments[-1]["id"]
        assert [
            s["state"] for s in gh.state.deployment_statuses if s["deployment_id"] == newest
        ] == ["in_progress", "success"]
        assert git(repo, "log", "-1", "--format=%s") == "initial"  # no local commit in Actions


def _actions_env(gh: GitHubStub, head: str, run_id: str = "77") -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": "ghs_tok",
        "GITHUB_REPOSITORY": "octo/agents",
        "GITHUB_API_URL": gh.url,
        "GITHUB_REF_NAME": "main",
        "GITHUB_RUN_ID": run_id,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_SHA": head,
    }


def test_deployment_lifecycle_per_environment(tmp_path: Path) -> None:
    """in_progress when the deploy starts, success/failure at the end with environment_url and
    log_url, and the environment's earlier successful deployment marked inactive."""
    envs = (
        "environments:\n  staging: {workspace: {path: ws/staging}, url: 'https://staging.example.com'}\n"
        "  production: {workspace: {path: ws/production}}\ndefault_environment: staging\n"
    )
    repo = make_repo(tmp_path / "r", agents=["alpha"], config=envs)
    head = git(repo, "rev-parse", "HEAD")
    with GitHubStub(repo="octo/agents", token="ghs_tok") as gh:
        for run_id in ("1", "2"):
            proc = run_cli(
                "deploy", str(repo), "--no-smoke", "--force", env=_actions_env(gh, head, run_id)
            )
            assert proc.returncode == 0, proc.stderr
        proc = run_cli(
            "deploy",
            str(repo),
            "--no-smoke",
            "--environment",
            "production",
            env=_actions_env(gh, head, "3"),
        )
        assert proc.returncode == 0, proc.stderr
        deps = {d["id"]: d for d in gh.state.deployments}
        assert [d["environment"] for d in gh.state.deployments] == [
            "staging",
            "staging",
            "production",
        ]
        by_dep: dict[int, list[dict]] = {}
        for st in gh.state.deployment_statuses:
            by_dep.setdefault(st["deployment_id"], []).append(st)
        first, second, prod = list(deps)
        assert [s["state"] for s in by_dep[first]] == ["in_progress", "success", "inactive"]
        assert [s["state"] for s in by_dep[second]] == ["in_progress", "success"]
        assert [s["state"] for s in by_dep[prod]] == ["in_progress", "success"]
        ok = by_dep[second][-1]
        assert ok["environment_url"] == "https://staging.example.com"
        assert ok["log_url"] == "https://github.com/octo/agents/actions/runs/2"
        doc = json.loads(gh.state.files[("main", "deployment-status.json")])
        assert set(doc["environments"]) == {"staging", "production"}


def test_a_job_with_environment_reuses_its_deployment(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"])
    head = git(repo, "rev-parse", "HEAD")
    with GitHubStub(repo="octo/agents", token="ghs_tok") as gh:
        # What GitHub Actions does for a job with `environment: production`: a deployment for the
        # job, its status pointing at the run.
        gh.state.deployments.append(
            {
                "id": 5,
                "ref": head,
                "sha": head,
                "environment": "production",
                "task": "deploy",
                "production_environment": True,
            }
        )
        gh.state.deployment_statuses.append(
            {
                "id": 6,
                "deployment_id": 5,
                "state": "in_progress",
                "log_url": "https://github.com/octo/agents/actions/runs/9/job/1",
            }
        )
        proc = run_cli(
            "deploy",
            str(repo),
            "--no-smoke",
            env={**_actions_env(gh, head, "9"), "AGENTCI_ENVIRONMENT": "production"},
        )
        assert proc.returncode == 0, proc.stderr
        assert len(gh.state.deployments) == 1  # no duplicate
        assert [s["state"] for s in gh.state.deployment_statuses if s["deployment_id"] == 5][
            -1
        ] == "success"


def test_protected_branch_refusal_is_named_and_status_branch_works(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"])
    head = git(repo, "rev-parse", "HEAD")
    with GitHubStub(repo="octo/agents", token="ghs_tok") as gh:
        gh.state.heads["main"] = head
        gh.protected.add("main")
        proc = run_cli("deploy", str(repo), "--no-smoke", env=_actions_env(gh, head))
        assert proc.returncode == 1
        assert (
            "the branch is protected" in proc.stderr and "through a pull request" in proc.stderr
        ), proc.stderr
        assert "status: {mode: branch}" in proc.stderr and "contents: write" not in proc.stderr
        (repo / "agentci.yaml").write_text(
            (repo / "agentci.yaml").read_text() + "status: {mode: branch}\n"
        )
        head = commit_all(repo, "status branch")
        proc = run_cli("deploy", str(repo), "--no-smoke", env=_actions_env(gh, head))
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(gh.state.files[("agentci-status", "deployment-status.json")])
        assert doc["commit"] == head and ("main", "deployment-status.json") not in gh.state.files
        (repo / "agentci.yaml").write_text(
            (repo / "agentci.yaml").read_text().replace("mode: branch", "mode: deployments")
        )
        head = commit_all(repo, "deployments only")
        puts = len(gh.calls("PUT", r"/contents/.*"))
        proc = run_cli(
            "deploy", str(repo), "--no-smoke", "--format", "json", env=_actions_env(gh, head)
        )
        assert (
            proc.returncode == 0 and json.loads(proc.stdout)["status_written"] == "deployments"
        ), proc.stderr
        assert len(gh.calls("PUT", r"/contents/.*")) == puts
        newest = gh.state.deployments[-1]["id"]
        assert [
            s["state"] for s in gh.state.deployment_statuses if s["deployment_id"] == newest
        ] == ["in_progress", "success"]
