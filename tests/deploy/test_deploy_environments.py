"""Environments end to end through the real CLI: two local environments in one repo, variables
per environment, promotion of exactly the commit staging runs (and refusals), the status file
holding every environment, `status` side by side, and the runner guard."""

from __future__ import annotations

import json
from pathlib import Path

from deploy_helpers import commit_all, git, live_tree, make_repo, run_cli

ENVS = """environments:
  staging:
    workspace: {path: ws/staging}
    variables: {company: Staging Inc}
  production:
    workspace: {path: ws/production}
    promote_from: staging
default_environment: staging
"""


def two_env_repo(tmp: Path) -> Path:
    repo = make_repo(tmp / "r", agents=["alpha", "beta"], knowledge_files=2, config=ENVS)
    (repo / ".gitignore").write_text("ws/\n")
    commit_all(repo, "environments")
    return repo


def cli(repo: Path, *args: str) -> tuple[int, dict, str]:
    proc = (
        run_cli(*args, str(repo), "--no-smoke", "--format", "json")
        if args[0] == "deploy"
        else run_cli(*args, "--format", "json", cwd=repo)
    )
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        data = {}
    return proc.returncode, data, proc.stderr


def test_environments_variables_promotion_and_status(tmp_path: Path) -> None:
    repo = two_env_repo(tmp_path)
    v1 = git(repo, "rev-parse", "HEAD")
    rc, data, err = cli(repo, "deploy")  # default_environment: staging
    assert rc == 0, err
    assert data["environment"] == "staging"
    staging, production = repo / "ws/staging", repo / "ws/production"
    assert (
        live_tree(staging / "agents/alpha")["system_prompt.md"]
        == b"You are alpha at Staging Inc. v1\n"
    )
    assert not production.exists()

    # A new commit lands on staging only; production gets v1 by promotion... no: promotion takes
    # what staging runs *now*. First promote v1, then move staging on.
    rc, data, err = cli(repo, "promote", "staging", "production")
    assert rc == 0, err
    assert (
        data["environment"] == "production"
        and data["commit"] == v1
        and data["promoted_from"] == "staging"
    )
    assert (
        live_tree(production / "agents/alpha")["system_prompt.md"] == b"You are alpha at Acme. v1\n"
    )

    (repo / "agents/alpha/system_prompt.md").write_text("You are alpha at {{ company }}. v2\n")
    v2 = commit_all(repo, "v2")
    rc, _, err = cli(repo, "deploy", "--environment", "staging")
    assert rc == 0, err
    status_doc = json.loads((repo / "deployment-status.json").read_text())
    assert set(status_doc["environments"]) == {"staging", "production"}
    assert status_doc["environments"]["staging"]["commit"] == v2
    assert status_doc["environments"]["production"]["commit"] == v1
    assert status_doc["environment"] == "staging"  # the top level: the latest deploy, as before

    proc = run_cli("status", str(repo))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("AGENT"))
    assert "STAGING" in header and "PRODUCTION" in header
    alpha = next(line for line in lines if line.startswith("alpha"))
    assert f"{v2[:12]} Synced Healthy" in alpha and f"{v1[:12]} OutOfSync Healthy" in alpha
    data = json.loads(run_cli("status", str(repo), "--format", "json").stdout)
    assert {e: [a["commit"] for a in v["agents"]] for e, v in data["environments"].items()} == {
        "staging": [v2, v2],
        "production": [v1, v1],
    }

    # Dry run first: nothing changes on production.
    rc, data, err = cli(repo, "promote", "staging", "production", "--dry-run")
    assert rc == 0 and data["dry_run"] and data["commit"] == v2, err
    assert b"v1" in live_tree(production / "agents/alpha")["system_prompt.md"]
    rc, data, err = cli(repo, "promote", "staging", "production", "--no-writeback")
    assert rc == 0 and data["commit"] == v2, err
    assert (
        live_tree(production / "agents/alpha")["system_prompt.md"] == b"You are alpha at Acme. v2\n"
    )
    assert run_cli("diff", str(repo), "--environment", "production").returncode == 0


def test_promote_refuses_unless_staging_is_synced_and_healthy(tmp_path: Path) -> None:
    repo = two_env_repo(tmp_path)
    rc, _, err = cli(repo, "promote", "staging", "production")
    assert rc == 1 and "nothing is deployed on staging" in err
    assert cli(repo, "deploy")[0] == 0
    # A hand edit on staging: OutOfSync, so no promotion.
    target = repo / "ws/staging/agents/beta/system_prompt.md"
    target.unlink()
    target.write_text("hand edit\n")
    rc, _, err = cli(repo, "promote", "staging", "production")
    assert rc == 1 and "beta is OutOfSync" in err and not (repo / "ws/production").exists(), err
    assert cli(repo, "deploy")[0] == 0  # repaired
    # A Degraded agent on staging (its record says so): no promotion either.
    state_path = repo / "ws/staging/.agentci/state.json"
    state = json.loads(state_path.read_text())
    state["agents"]["alpha"]["health"] = "Degraded"
    state_path.write_text(json.dumps(state))
    rc, _, err = cli(repo, "promote", "staging", "production")
    assert rc == 1 and "alpha is Degraded" in err, err
    # promote_from names staging: another route is refused; so is an unknown environment.
    rc, _, err = cli(repo, "promote", "production", "staging")
    assert rc == 1, err
    rc, _, err = cli(repo, "promote", "staging", "qa")
    assert rc == 2 and "no environment 'qa'" in err, err


def test_a_repo_without_environments_is_unchanged(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"], knowledge_files=1)
    rc, data, err = cli(repo, "deploy", "--no-writeback")
    assert rc == 0 and data["environment"] == "production", err
    assert (repo / ".agentci/workspace/agents/alpha/agent.yaml").exists()
    status = json.loads(run_cli("status", str(repo), "--format", "json").stdout)
    assert status["agents"][0]["sync"] == "Synced" and status["environment"] == "production"
    rc, _, err = cli(repo, "deploy", "--environment", "staging", "--no-writeback")
    assert rc == 2 and "no environment 'staging'" in err


def test_local_workspace_in_a_github_hosted_checkout_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"], knowledge_files=1)
    hosted = {
        "GITHUB_ACTIONS": "true",
        "RUNNER_ENVIRONMENT": "github-hosted",
        "GITHUB_WORKSPACE": str(repo),
    }
    proc = run_cli("deploy", str(repo), "--no-smoke", "--no-writeback", env=hosted)
    assert proc.returncode == 1, proc.stderr
    assert (
        "inside the checkout of a GitHub-hosted runner" in proc.stderr
        and "backend: s3" in proc.stderr
    )
    assert not (repo / ".agentci/workspace/agents").exists()  # nothing was deployed
    # The same on a self-hosted runner, or a path outside the checkout, is fine.
    for env, extra in (
        ({**hosted, "RUNNER_ENVIRONMENT": "self-hosted"}, []),
        (hosted, ["--workspace", str(tmp_path / "outside")]),
    ):
        proc = run_cli("deploy", str(repo), "--no-smoke", "--no-writeback", *extra, env=env)
        assert proc.returncode == 0, proc.stderr
    # --dry-run changes nothing, so it is allowed (it shows what a deploy would do).
    assert run_cli("deploy", str(repo), "--dry-run", env=hosted).returncode == 0


def test_validate_names_environments_that_do_not_fit(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        agents=["alpha"],
        knowledge_files=1,
        config=(
            "environments:\n"
            "  staging: {workspace: {path: ws/shared}}\n"
            "  production: {workspace: {path: ws/shared}, promote_from: qa}\n"
            "default_environment: prod\n"
        ),
    )
    proc = run_cli("validate", str(repo), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    found = {(f["rule"], f["line"], f["message"]) for f in json.loads(proc.stdout)["findings"]}
    assert ("environment", 8, "default_environment 'prod' is not one of the environments") in found
    assert (
        "environment",
        7,
        "environment 'production': promote_from 'qa' is not another environment",
    ) in found
    assert (
        "environment",
        7,
        "environments 'staging' and 'production' deploy to the same workspace (local)",
    ) in found
    assert run_cli("validate", str(two_env_repo(tmp_path / "ok"))).returncode == 0
