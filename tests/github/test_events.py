"""`agentci ci` picks its steps from events as GitHub sends them (payloads from octokit/webhooks,
see tests/fixtures/webhooks/README.md), run as a subprocess against the GitHub and OpenAI stand-ins."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, commit_all, git, init_repo, run_cli
from tests.github.conftest import REPO, TOKEN, actions_env, pr_event
from tests.servers.github_stub import GitHubStub
from tests.servers.openai_stub import Stub

WEBHOOKS = ROOT / "tests" / "fixtures" / "webhooks"
MANIFEST = """\
agent:
  name: bot
  model: {provider: openai, name: gpt-test}
  prompt: system_prompt.md
  evals: [evals/golden.yaml]
"""
CASES = 'cases:\n  - {id: c1, input: "How long?", assert: [{type: icontains, value: "30 days"}]}\n'


def repo_with_regression(root: Path) -> tuple[str, str]:
    (root / "agents/bot/evals").mkdir(parents=True)
    (root / "agents/bot/agent.yaml").write_text(MANIFEST)
    (root / "agents/bot/system_prompt.md").write_text("ANSWER: within 30 days\n")
    (root / "agents/bot/evals/golden.yaml").write_text(CASES)
    base = init_repo(root)
    (root / "agents/bot/system_prompt.md").write_text("ANSWER: no idea\n")
    return base, commit_all(root, "worse")


def env_for(
    gh: GitHubStub, model: Stub, tmp_path: Path, event_name: str, payload: dict
) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    env = actions_env(gh, tmp_path, path, name=event_name)
    env.update(
        {
            "OPENAI_BASE_URL": model.url,
            "OPENAI_API_KEY": "sk-test",
            "AGENTCI_CACHE_DIR": str(tmp_path / "c"),
        }
    )
    return env


def test_a_tag_deletion_does_nothing(tmp_path: Path, model: Stub) -> None:
    with GitHubStub(REPO, TOKEN, prefix="/api/v3") as gh:
        root = tmp_path / "repo"
        repo_with_regression(root)
        payload = json.loads((WEBHOOKS / "push.tag_deleted.json").read_text())
        env = env_for(gh, model, tmp_path, "push", payload)
        env["GITHUB_REF"] = payload["ref"]
        proc = run_cli("ci", ".", cwd=root, env=env, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "a tag or a deleted ref, nothing to do" in proc.stdout
        assert model.stats() == {} and gh.state.statuses == []
        assert not (root / ".agentci/results.json").exists()


def test_merge_group_gates_the_queue_commit(tmp_path: Path, model: Stub) -> None:
    with GitHubStub(REPO, TOKEN, prefix="/api/v3") as gh:
        root = tmp_path / "repo"
        _, head = repo_with_regression(root)
        payload = json.loads((WEBHOOKS / "merge_group.checks_requested.json").read_text())
        payload["merge_group"]["head_sha"] = head  # the queue commit this checkout holds
        payload["repository"]["full_name"] = REPO
        env = env_for(gh, model, tmp_path, "merge_group", payload)
        proc = run_cli(
            "ci", ".", "--status-context", "agentci/queue", cwd=root, env=env, timeout=120
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "1 regressions > max 0" in proc.stdout
        # No base_sha in the payload: the queue commit's first parent is the base.
        assert [(s["sha"], s["state"], s["context"]) for s in gh.state.statuses] == [
            (head, "failure", "agentci/queue")
        ]
        assert gh.comments_on(7) == []


def test_pr_actions_other_than_code_changes_only_validate(tmp_path: Path, model: Stub) -> None:
    with GitHubStub(REPO, TOKEN, prefix="/api/v3") as gh:
        root = tmp_path / "repo"
        base, head = repo_with_regression(root)
        payload = json.loads(pr_event(tmp_path, base_sha=base, head_sha=head).read_text())
        for action, evaluates in (
            ("labeled", False),
            ("closed", False),
            ("edited", False),
            ("synchronize", True),
        ):
            payload["action"] = action
            proc = run_cli(
                "ci",
                ".",
                cwd=root,
                env=env_for(gh, model, tmp_path, "pull_request", payload),
                timeout=120,
            )
            assert ("validating only" in proc.stdout) is not evaluates, (action, proc.stdout)
            assert proc.returncode == (1 if evaluates else 0), (action, proc.stdout + proc.stderr)
        labeled = {**payload, "action": "labeled"}
        proc = run_cli(
            "ci",
            ".",
            "--pr-actions",
            "labeled",
            cwd=root,
            env=env_for(gh, model, tmp_path, "pull_request", labeled),
            timeout=120,
        )
        assert proc.returncode == 1 and "1 regressions > max 0" in proc.stdout


def test_local_ci_with_base_reproduces_the_pr_gate(tmp_path: Path, model: Stub) -> None:
    root = tmp_path / "repo"
    repo_with_regression(root)
    git(root, "branch", "-f", "main-base", "HEAD~1")
    env = {
        "OPENAI_BASE_URL": model.url,
        "OPENAI_API_KEY": "sk-test",
        "AGENTCI_CACHE_DIR": str(tmp_path / "c"),
    }
    without = run_cli("ci", ".", cwd=root, env=env, timeout=120)
    with_base = run_cli("ci", ".", "--base", "main-base", cwd=root, env=env, timeout=120)
    direct = run_cli("eval", ".", "--base", "main-base", cwd=root, env=env, timeout=120)
    assert direct.returncode == 1 and with_base.returncode == 1, with_base.stdout + with_base.stderr
    assert "regression" in with_base.stdout.lower()
    assert (
        without.returncode == 1
    )  # the head alone fails too, but without a base it is no regression
    bad = run_cli("ci", ".", "--base", "no-such-ref", cwd=root, env=env, timeout=60)
    assert bad.returncode == 2 and "--base no-such-ref: no such commit" in bad.stderr
