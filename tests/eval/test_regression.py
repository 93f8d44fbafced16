"""The regression fixture end to end: the bundled example in a real git repo, a second
commit that weakens the prompt (tests/fixtures/support-bot-weakened), and the real
`agentci eval --base` with the embedded model finding the cases that broke."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import commit_all, git, run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_weakened_prompt_shows_as_regressions(example_repo, tmp_path):
    repo = example_repo("support-bot")
    base = git(repo, "rev-parse", "HEAD")
    shutil.copy(
        FIXTURES / "support-bot-weakened" / "system_prompt.md",
        repo / "agents/support-bot/system_prompt.md",
    )
    commit_all(repo, "support-bot: shorter prompt")
    out = tmp_path / "results.json"
    env = {"AGENTCI_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_cli("eval", "--base", base, "--output", str(out), cwd=repo, env=env, timeout=240)

    data = json.loads(out.read_text())
    agent = data["agents"][0]
    cases = {c["id"]: c for c in agent["cases"]}
    regressions = sorted(cid for cid, c in cases.items() if c["change"] == "regression")
    # The refund facts are gone from the prompt: the refund-window answer loses "30 days".
    assert "refund-window" in regressions, {
        cid: (c["status"], c["output"]) for cid, c in cases.items()
    }
    assert cases["refund-window"]["base"]["status"] == "pass"
    assert cases["refund-window"]["status"] == "fail"
    assert data["totals"]["regressions"] == len(regressions) >= 1
    assert agent["base_pass_rate"] > agent["pass_rate"]
    # The example itself (the base) is an honest golden set: some cases pass, some fail.
    assert 0 < agent["base_pass_rate"] < 1
    assert data["totals"]["errors"] == 0
    # max_regressions: 0 in the example's agentci.yaml: the gate fails with a one-line reason
    assert proc.returncode == 1, proc.stderr
    assert "regression" in proc.stderr.splitlines()[-1]
    print(
        f"base {agent['base_pass_rate']:.3f} -> head {agent['pass_rate']:.3f}; regressions {regressions}; "
        f"{data['totals']['duration_s']}s for {data['totals']['requests']} requests"
    )
