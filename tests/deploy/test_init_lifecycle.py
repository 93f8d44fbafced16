"""A new user's first hour, through the real CLI on the real embedded model (issue #12):
`agentci init` -> validate -> eval -> commit -> deploy (with its smoke conversation) -> status.

The scaffold must pass every step on the first try: no variable that only the eval set
defines, a smoke expectation SmolLM2-135M meets, a status committed as ok.
"""

from __future__ import annotations

import json
from pathlib import Path

from deploy_helpers import commit_all, git, run_cli


def test_init_validate_eval_deploy_status(tmp_path: Path) -> None:
    repo = tmp_path / "new"
    env = {"AGENTCI_CACHE_DIR": str(tmp_path / "cache")}
    assert run_cli("init", str(repo)).returncode == 0
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "agentci init")

    check = run_cli("validate", str(repo), "--strict", env=env)
    assert check.returncode == 0, check.stdout
    assert "0 error(s), 0 warning(s)" in check.stdout

    ev = run_cli("eval", "--no-cache", "--format", "json", cwd=repo, env=env, timeout=600)
    assert ev.returncode == 0, ev.stdout[-2000:] + ev.stderr[-2000:]
    results = json.loads(ev.stdout)
    assert results["gate"]["passed"] is True
    # Every golden case, not just enough for the gate: the scaffold is what a new user copies.
    assert results["totals"]["passed"] == 3 and results["totals"]["failed"] == 0, results["totals"]
    assert not git(
        repo, "status", "--porcelain"
    )  # .gitignore keeps .agentci/ (results, workspace) out

    dep = run_cli("deploy", str(repo), "--format", "json", env=env, timeout=600)
    assert dep.returncode == 0, dep.stderr[-3000:]
    report = json.loads(dep.stdout)
    [agent] = report["agents"]
    assert (
        report["result"] == "ok"
        and agent["health"] == "Healthy"
        and agent["smoke"]["passed"] is True
    ), agent
    live = repo / ".agentci/workspace/agents/assistant/system_prompt.md"
    assert "Acme is open Monday to Friday" in live.read_text() and "In chat" not in live.read_text()

    # The status was committed back to git, and `status` agrees with it.
    assert "deployment status" in git(repo, "log", "-1", "--format=%s")
    written = json.loads((repo / "deployment-status.json").read_text())
    assert written["result"] == "ok"
    st = run_cli("status", str(repo), "--format", "json", env=env)
    assert st.returncode == 0, st.stderr
    [row] = json.loads(st.stdout)["agents"]
    assert (row["name"], row["sync"], row["health"]) == ("assistant", "Synced", "Healthy")
