"""`agentci ci` as a subprocess: the local demo flow and a fork PR against the stand-in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import commit_all, git, run_cli
from tests.github.conftest import actions_env, pr_event
from tests.servers.github_stub import GitHubStub


def test_fork_pr_skips_keyed_evals_and_degrades_comment(
    stub: GitHubStub, tmp_path: Path, example_repo: Callable[[str], Path]
) -> None:
    repo = example_repo("support-bot")
    base = git(repo, "rev-parse", "HEAD")
    with open(repo / "agents/support-bot/system_prompt.md", "a", encoding="utf-8") as fh:
        fh.write("\nBe brief.\n")
    head = commit_all(repo, "prompt change")
    stub.fail["POST comments"] = 403
    env = actions_env(stub, tmp_path, pr_event(tmp_path, fork=True, base_sha=base, head_sha=head))
    env["AGENTCI_CACHE_DIR"] = str(tmp_path / "cache")
    # The fork's workflow asks for a keyed provider; no key reaches a fork PR.
    proc = run_cli("ci", ".", "--provider", "openai", cwd=repo, env=env, timeout=120)
    out = proc.stdout + proc.stderr
    # The changed agent could not be evaluated: neutral, never a green pass.
    assert proc.returncode == 1, out[-3000:]
    assert "gate: neutral, not a pass: support-bot: not evaluated" in out
    assert "validate: 1 agent(s)" in out
    summary = (tmp_path / "summary").read_text()
    assert summary.startswith("> **agentci could not post the PR comment**")
    assert "skipped" in summary and "OPENAI\\_API\\_KEY is not set" in summary
    assert "Fork PR" in summary
    assert stub.comments_on(7) == []
    assert [(s["sha"], s["state"]) for s in stub.state.statuses] == [(head, "error")]
    assert stub.state.statuses[0]["description"].startswith("neutral, not a pass")


def test_local_ci_without_github_env_prints_the_report(
    tmp_path: Path, example_repo: Callable[[str], Path]
) -> None:
    repo = example_repo("support-bot")
    proc = run_cli("ci", cwd=repo, env={"AGENTCI_CACHE_DIR": str(tmp_path / "cache")}, timeout=240)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    # A readable text report, not the PR comment's markdown (that goes to report.md).
    assert "<!-- agentci" not in proc.stdout and "\nAgents:\n" in proc.stdout
    assert "smollm2" in proc.stdout
    assert ("gate: passed" in proc.stdout) == (proc.returncode == 0)
    assert "::stop-commands::" not in proc.stdout  # plain text outside Actions
    assert (repo / ".agentci/report.md").is_file() and (repo / ".agentci/results.json").is_file()


def test_push_to_default_branch_validates_then_deploys(
    tmp_path: Path, example_repo: Callable[[str], Path]
) -> None:
    import json

    repo = example_repo("support-bot")
    head = git(repo, "rev-parse", "HEAD")
    event = tmp_path / "push.json"
    event.write_text(
        json.dumps(
            {
                "ref": "refs/heads/main",
                "after": head,
                "repository": {"full_name": "octo/app", "default_branch": "main"},
            }
        )
    )
    (tmp_path / "out").write_text("")
    (tmp_path / "summary").write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_SHA": head,
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    proc = run_cli("ci", cwd=repo, env=env, timeout=240)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert "validate: 1 agent(s)" in proc.stdout and "deploy: done" in proc.stdout
    outputs = (tmp_path / "out").read_text()
    assert "verdict=pass\n" in outputs and f"deployed-sha={head}\n" in outputs
    assert "| `support-bot` | Synced | Healthy |" in (tmp_path / "summary").read_text()


def test_schedule_runs_the_drift_check(tmp_path: Path, example_repo: Callable[[str], Path]) -> None:
    repo = example_repo("support-bot")
    (tmp_path / "out").write_text("")
    (tmp_path / "summary").write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "schedule",
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    proc = run_cli("ci", cwd=repo, env=env, timeout=120)
    # Nothing deployed yet: the live workspace differs from git.
    assert proc.returncode == 1, (proc.stdout + proc.stderr)[-3000:]
    assert "diff: drift" in proc.stdout
    assert (tmp_path / "summary").read_text().startswith("### agentci drift check: drift")
    assert "verdict=fail" in (tmp_path / "out").read_text()


def test_eval_that_cannot_run_reports_error_not_pass(
    stub: GitHubStub, tmp_path: Path, example_repo: Callable[[str], Path]
) -> None:
    """An eval that dies before writing results must not turn into a green status or a
    "passed" comment: nothing was measured."""
    repo = example_repo("support-bot")
    base = git(repo, "rev-parse", "HEAD")
    with open(repo / "agents/support-bot/system_prompt.md", "a", encoding="utf-8") as fh:
        fh.write("\nBe brief.\n")
    head = commit_all(repo, "prompt change")
    env = actions_env(stub, tmp_path, pr_event(tmp_path, base_sha=base, head_sha=head))
    proc = run_cli("ci", ".", "--provider", "nosuch", cwd=repo, env=env, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out[-3000:]
    assert "unknown provider 'nosuch'" in out
    assert [s["state"] for s in stub.state.statuses] == ["error"]
    (comment,) = stub.comments_on(7)
    assert "passed" not in comment["body"] and "did not finish" in comment["body"]
    assert "verdict=error\n" in (tmp_path / "out").read_text()
