"""`notify:` webhooks end to end: the real CLI posting to a receiver on 127.0.0.1 for each event,
in the generic JSON and the Slack incoming-webhook shapes; a slow or failing receiver never
fails a deploy, and the URL (a secret) never reaches the output."""

from __future__ import annotations

import json
import time
from pathlib import Path

from deploy_helpers import commit_all, make_repo, run_cli

from tests.servers.webhook_receiver import WebhookReceiver

NOTIFY = """notify:
  - {url_env: HOOK_JSON}
  - {url_env: HOOK_SLACK, format: slack, events: [failed, rolled_back, degraded, drift]}
"""


def test_events_reach_both_shapes(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        agents=["alpha"],
        knowledge_files=1,
        config=NOTIFY,
        model="{provider: openai, name: gpt-4o-mini}",
        smoke="{input: hi, expect: {contains: hello}}",
    )
    with WebhookReceiver() as generic, WebhookReceiver() as slack:
        env = {
            "HOOK_JSON": generic.url + "/secret-path-123",
            "HOOK_SLACK": slack.url + "/services/T/B/x",
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        }  # nothing listens on port 9
        proc = run_cli("deploy", str(repo), "--no-smoke", "--no-writeback", env=env)
        assert proc.returncode == 0, proc.stderr
        assert [m["event"] for m in generic.received] == ["succeeded"]
        first = generic.received[0]
        assert first["environment"] == "production" and first["agents"][0]["name"] == "alpha"
        assert (
            first["commit"]
            == json.loads(run_cli("status", str(repo), "--format", "json").stdout)["head"]
        )
        assert slack.received == []  # its events do not include succeeded

        # The smoke conversation fails (the model endpoint is down): the previous release is put back.
        (repo / "agents/alpha/system_prompt.md").write_text("v2\n")
        commit_all(repo, "v2")
        proc = run_cli("deploy", str(repo), "--no-writeback", env=env)
        assert proc.returncode == 1
        assert generic.received[-1]["event"] == "rolled_back"
        text = slack.received[-1]["text"]
        assert "deploy rolled back" in text and "`production`" in text and "alpha" in text
        assert slack.received[-1]["blocks"][0]["type"] == "section"

        # Drift found by the scheduled check (diff).
        (repo / ".agentci/workspace/agents/alpha/system_prompt.md").unlink()
        assert run_cli("diff", str(repo), env=env).returncode == 1
        assert (
            generic.received[-1]["event"] == "drift" and "drift found" in slack.received[-1]["text"]
        )

        # A deploy that fails before changing anything (a secret is missing).
        (repo / "agents/alpha/agent.yaml").write_text(
            (repo / "agents/alpha/agent.yaml").read_text() + "  secrets: [NOT_SET_ANYWHERE]\n"
        )
        commit_all(repo, "needs a secret")
        proc = run_cli("deploy", str(repo), "--no-writeback", "--no-smoke", env=env)
        assert proc.returncode == 1
        assert (
            generic.received[-1]["event"] == "failed"
            and "NOT_SET_ANYWHERE" in generic.received[-1]["error"]
        )
        for proc_out in (proc.stdout, proc.stderr):
            assert "secret-path-123" not in proc_out and "/services/T/B/x" not in proc_out


def test_a_slow_or_failing_receiver_never_fails_the_deploy(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        agents=["alpha"],
        knowledge_files=1,
        config="notify:\n  - {url_env: HOOK, timeout: 1}\n  - {url_env: BROKEN}\n  - {url_env: UNSET}\n",
    )
    with WebhookReceiver(delay=30) as slow, WebhookReceiver(status=500) as broken:
        t0 = time.monotonic()
        proc = run_cli(
            "deploy",
            str(repo),
            "--no-smoke",
            "--no-writeback",
            env={"HOOK": slow.url, "BROKEN": broken.url},
        )
        took = time.monotonic() - t0
        assert proc.returncode == 0, proc.stderr
        assert (
            "notify: HOOK: ReadTimeout" in proc.stderr and "notify: BROKEN: HTTP 500" in proc.stderr
        )
        assert "notify: UNSET is not set" in proc.stderr
        assert len(slow.received) == 1 and len(broken.received) == 1
        assert took < 15, took  # bounded by the 1 s timeout, not the receiver's 30 s
