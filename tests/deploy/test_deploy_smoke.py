"""The post-deploy smoke conversation: the real embedded model on the bundled example, and a
failing smoke (OpenAI-compatible stand-in) that puts the previous release back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from deploy_helpers import commit_all, git, live_tree, make_repo, run_cli, write

from tests.servers.openai_stub import Stub

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "support-bot"


def test_bundled_example_smoke_on_the_local_model(tmp_path: Path) -> None:
    repo = tmp_path / "support-bot"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(".agentci"))
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "example")
    proc = run_cli("deploy", str(repo), "--no-writeback", "--format", "json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    agent = json.loads(proc.stdout)["agents"][0]
    assert agent["smoke"]["passed"] is True and agent["health"] == "Healthy"
    assert "smoke conversation (local/smollm2-135m-instruct)" in proc.stderr


def test_failed_smoke_puts_previous_release_back_and_marks_degraded(tmp_path: Path) -> None:
    stub = Stub(api_key="sk-stub")
    try:
        model = f"{{provider: openai, name: gpt-4o-mini, base_url: '{stub.url}', api_key_env: STUB_KEY}}"
        repo = make_repo(
            tmp_path / "r",
            agents=["alpha"],
            model=model,
            smoke='{input: "Hello", expect: {icontains: "help"}}',
        )
        write(repo / "agents/alpha/system_prompt.md", "ANSWER: Happy to help!\n")
        commit_all(repo, "v1")
        env = {"STUB_KEY": "sk-stub"}
        proc = run_cli("deploy", str(repo), "--no-writeback", "--format", "json", env=env)
        assert proc.returncode == 0, proc.stderr
        ws = repo / ".agentci/workspace"
        v1 = live_tree(ws / "agents/alpha")
        write(repo / "agents/alpha/system_prompt.md", "ANSWER: Go away.\n")
        commit_all(repo, "v2 breaks the greeting")
        proc = run_cli("deploy", str(repo), "--format", "json", env=env)
        assert proc.returncode == 1
        agent = json.loads(proc.stdout)["agents"][0]
        assert agent["health"] == "Degraded" and agent["sync"] == "OutOfSync"
        assert agent["smoke"]["passed"] is False and agent["smoke"]["output"] == "Go away."
        assert "smoke failed: icontains: FAIL" in proc.stderr and "put back" in proc.stderr
        assert live_tree(ws / "agents/alpha") == v1  # the previous release is live again
        status = json.loads((repo / "deployment-status.json").read_text())
        assert status["agents"]["alpha"]["health"] == "Degraded" and status["result"] == "failed"
        assert "sk-stub" not in (ws / "deployment.log").read_text()
        table = run_cli("status", str(repo)).stdout
        assert "OutOfSync" in table
        proc = run_cli("deploy", str(repo), "--no-smoke", "--no-writeback", env=env)
        assert proc.returncode == 0 and live_tree(ws / "agents/alpha") != v1
    finally:
        stub.stop()
