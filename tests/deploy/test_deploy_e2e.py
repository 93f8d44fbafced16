"""End to end through the real CLI on real git repos: deploy, diff, status, incremental, prune,
rollback, memory, secrets, busy locks."""

from __future__ import annotations

import json
import os
from pathlib import Path

from deploy_helpers import (
    commit_all,
    deploy,
    desired_areas,
    git,
    live_tree,
    make_repo,
    popen_deploy,
    run_cli,
    workspace_bytes,
    write,
)


def test_first_deploy_then_in_sync_and_nothing_resent(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    rc, data, err = deploy(repo)
    assert rc == 0, err
    ws = repo / ".agentci/workspace"
    head = git(repo, "rev-parse", "HEAD")
    by = {a["name"]: a for a in data["agents"]}
    assert (
        by["alpha"]["files_sent"] == 3
        and by["alpha"]["sync"] == "Synced"
        and by["alpha"]["health"] == "Healthy"
    )
    assert by["alpha"]["commit"] == head
    assert live_tree(ws / "agents/alpha")["system_prompt.md"] == b"You are alpha at Acme. v1\n"
    assert len(live_tree(ws / "knowledge/shared")) == 5
    policy = json.loads((ws / ".agentci/policies/alpha.json").read_text())
    assert "/drafts" in policy["write"] and "/memory/alpha.json" in policy["write"]

    rc, data, _ = deploy(repo)
    assert rc == 0
    assert all(a["files_sent"] == 0 and not a["changed"] for a in data["agents"])
    assert all(a["files_sent"] == 0 for a in data["areas"])
    diff = run_cli("diff", str(repo))
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert "in sync" in diff.stdout


def test_incremental_one_file_and_unchanged_agent_untouched(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    assert deploy(repo)[0] == 0
    ws = repo / ".agentci/workspace"
    beta_target = os.readlink(ws / "agents/beta")
    (repo / "knowledge/shared/doc0003.md").write_text("changed\n")
    write(repo / "agents/alpha/system_prompt.md", "You are alpha at {{ company }}. v2\n")
    commit_all(repo, "change")
    rc, data, err = deploy(repo)
    assert rc == 0, err
    by = {a["name"]: a for a in data["agents"]}
    assert by["alpha"]["files_sent"] == 1 and by["alpha"]["files_unchanged"] == 2
    assert by["beta"]["changed"] is False and by["beta"]["files_sent"] == 0
    assert os.readlink(ws / "agents/beta") == beta_target  # not even re-linked
    knowledge = next(a for a in data["areas"] if a["name"] == "knowledge")
    assert knowledge["files_sent"] == 1 and knowledge["files_unchanged"] == 4


def test_hand_edit_shows_in_diff_and_deploy_heals_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    assert deploy(repo)[0] == 0
    ws = repo / ".agentci/workspace"
    live = ws / "agents/alpha/system_prompt.md"
    live.unlink()  # an editor that writes a new file, as most do
    live.write_text("You are evil.\n")
    diff = run_cli("diff", str(repo))
    assert diff.returncode == 1
    assert "agent alpha: OutOfSync" in diff.stdout and "~ system_prompt.md" in diff.stdout
    assert "+You are alpha at Acme. v1" in diff.stdout
    js = json.loads(run_cli("diff", str(repo), "--format", "json").stdout)
    assert not js["in_sync"]
    status = json.loads(run_cli("status", str(repo), "--format", "json").stdout)
    assert {r["name"]: r["sync"] for r in status["agents"]} == {
        "alpha": "OutOfSync",
        "beta": "Synced",
    }
    rc, data, _ = deploy(repo, "--self-heal")
    assert rc == 0
    assert live.read_text() == "You are alpha at Acme. v1\n"
    assert run_cli("diff", str(repo)).returncode == 0
    rc, data, _ = deploy(repo, "--self-heal")
    assert data["result"] == "noop"


def test_diff_errors_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    proc = run_cli("diff", str(repo), "--ref", "no-such-ref")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "no-such-ref" in proc.stderr


def test_diff_of_a_repo_without_agents_is_an_error_not_drift(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    (repo / "README.md").write_text("no agents here\n")
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "init")
    proc = run_cli("diff", str(repo))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no agents found" in proc.stderr and "Traceback" not in proc.stderr


def test_rollback_by_revert_and_by_ref_is_byte_for_byte(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    old = git(repo, "rev-parse", "HEAD")
    assert deploy(repo)[0] == 0
    ws = repo / ".agentci/workspace"
    before = workspace_bytes(ws)
    write(repo / "agents/alpha/system_prompt.md", "You are alpha at {{ company }}. BROKEN\n")
    bad = commit_all(repo, "bad prompt")
    assert deploy(repo)[0] == 0
    assert workspace_bytes(ws) != before
    git(repo, "revert", "--no-edit", bad)
    rc, data, _ = deploy(repo)
    assert rc == 0
    assert workspace_bytes(ws) == before
    alpha = next(a for a in data["agents"] if a["name"] == "alpha")
    assert alpha["files_sent"] == 0  # the old release was still there: content-addressed
    assert deploy(repo, "--ref", bad)[0] == 0
    assert workspace_bytes(ws) != before
    rc, data, _ = deploy(repo, "--ref", old)
    assert rc == 0 and workspace_bytes(ws) == before
    assert {a["commit"] for a in data["agents"] if a["changed"]} == {old}


def test_memory_never_overwritten_snapshot_restore_wipe(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"])
    v1 = git(repo, "rev-parse", "HEAD")
    ws = repo / ".agentci/workspace"
    assert deploy(repo)[0] == 0
    mem = ws / "memory/alpha.json"
    mem.parent.mkdir(parents=True, exist_ok=True)
    mem.write_text('{"turns": 1}')
    write(repo / "agents/alpha/system_prompt.md", "v2 {{ company }}\n")
    commit_all(repo, "v2")
    rc, data, _ = deploy(repo)
    assert rc == 0 and data["agents"][0]["memory"] == "snapshot"
    assert mem.read_text() == '{"turns": 1}'  # a deploy never writes memory
    mem.write_text('{"turns": 2}')
    rc, data, _ = deploy(repo, "--ref", v1, "--restore-memory")
    assert rc == 0 and data["agents"][0]["memory"] == "restored"
    assert mem.read_text() == '{"turns": 1}'  # v1's memory, as it was when v1 was replaced
    rc, data, _ = deploy(repo, "--wipe-memory")
    assert rc == 0 and not mem.exists()
    snaps = list((ws / ".agentci/memory/alpha").iterdir())
    assert any(s.read_text() == '{"turns": 1}' for s in snaps)  # a wipe keeps a snapshot


def test_missing_secret_is_a_clear_error_before_anything_changes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", secrets=["ZENDESK_API_KEY"])
    proc = run_cli("deploy", str(repo), "--no-smoke", "--no-writeback")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "ZENDESK_API_KEY" in proc.stderr and "agent alpha" in proc.stderr
    assert not (repo / ".agentci/workspace").exists()
    secret = "s3cr3t-value-9f8e7d"
    rc, _, err = deploy(repo, env={"ZENDESK_API_KEY": secret})
    assert rc == 0, err
    ws = repo / ".agentci/workspace"
    for path in ws.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in err


def test_prune_is_opt_in_and_empty_workspace_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    assert deploy(repo)[0] == 0
    git(repo, "rm", "-rq", "agents/beta")
    commit_all(repo, "drop beta")
    rc, _data, _ = deploy(repo)
    assert rc == 0
    ws = repo / ".agentci/workspace"
    assert (ws / "agents/beta/agent.yaml").exists()
    assert run_cli("diff", str(repo)).returncode == 1  # beta is live but not in git
    rc, _, _ = deploy(repo, "--prune")
    assert rc == 0 and not (ws / "agents/beta").exists()
    git(repo, "rm", "-rq", "agents")
    commit_all(repo, "drop all")
    proc = run_cli("deploy", str(repo), "--prune", "--no-smoke", "--no-writeback")
    assert proc.returncode == 1 and "empty" in proc.stderr
    assert (ws / "agents/alpha/agent.yaml").exists()


def test_busy_lock_fail_wait_pause(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        agents=["alpha"],
        lock="{path: /locks/alpha.lock, on_busy: fail, timeout: 1}",
    )
    ws = repo / ".agentci/workspace"
    assert deploy(repo)[0] == 0
    (ws / "locks").mkdir()
    (ws / "locks/alpha.lock").write_text("busy")
    write(repo / "agents/alpha/system_prompt.md", "v2\n")
    commit_all(repo, "v2")
    rc, data, err = deploy(repo)
    assert rc == 1 and "busy" in data["agents"][0]["message"]
    assert live_tree(ws / "agents/alpha")["system_prompt.md"] != b"v2\n"
    write(
        repo / "agents/alpha/agent.yaml",
        (repo / "agents/alpha/agent.yaml")
        .read_text()
        .replace("on_busy: fail, timeout: 1", "on_busy: pause, timeout: 20"),
    )
    commit_all(repo, "pause")
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "agentci", "deploy", str(repo), "--no-smoke", "--no-writeback"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 15
    while not (ws / "locks/alpha.lock.pause").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (ws / "locks/alpha.lock.pause").exists()  # the agent was asked to pause
    assert live_tree(ws / "agents/alpha")["system_prompt.md"] != b"v2\n"  # and nothing swapped yet
    (ws / "locks/alpha.lock").unlink()  # the agent pauses: releases its lock
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert live_tree(ws / "agents/alpha")["system_prompt.md"] == b"v2\n"
    assert not (ws / "locks/alpha.lock.pause").exists()


def test_status_written_back_with_git_and_log_appended(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        config="status:\n  author_name: Deploy Bot\n  author_email: bot@example.com\n",
    )
    proc = run_cli("deploy", str(repo), "--no-smoke")
    assert proc.returncode == 0, proc.stderr
    msg = git(repo, "log", "-1", "--format=%an <%ae>|%s")
    assert msg.startswith("Deploy Bot <bot@example.com>|") and "[skip ci]" in msg
    doc = json.loads((repo / "deployment-status.json").read_text())
    assert (
        doc["agents"]["alpha"]["sync"] == "Synced" and doc["agents"]["alpha"]["health"] == "Healthy"
    )
    assert git(repo, "status", "--porcelain") == ""
    run_cli("deploy", str(repo), "--no-smoke")
    log = (repo / ".agentci/workspace/deployment.log").read_text().splitlines()
    assert len(log) == 2 and json.loads(log[0])["result"] == "ok" and "who" in json.loads(log[0])
    table = run_cli("status", str(repo)).stdout
    assert "alpha" in table and "Synced" in table and "Healthy" in table


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    rc, data, _ = deploy(repo, "--dry-run")
    assert rc == 0 and data["dry_run"]
    assert {a["files_sent"] for a in data["agents"]} == {3}
    assert not (repo / ".agentci/workspace/agents").exists()


def test_desired_matches_for_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    assert deploy(repo)[0] == 0
    areas = desired_areas(repo, "HEAD")
    ws = repo / ".agentci/workspace"
    for path, files in areas.items():
        assert live_tree(ws / path) == files


def test_busy_lock_wait_backs_off_until_released(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        agents=["alpha"],
        lock="{path: /locks/alpha.lock, on_busy: wait, timeout: 20}",
    )
    ws = repo / ".agentci/workspace"
    (ws / "locks").mkdir(parents=True)
    (ws / "locks/alpha.lock").write_text("busy")
    proc = popen_deploy(repo, drop=("OPENAI_", "ANTHROPIC_"))
    assert proc.stderr is not None
    # Released only once the deploy says it is waiting (no timer racing the CLI's start-up).
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "busy (/locks/alpha.lock); waiting up to 20s" in line:
            (ws / "locks/alpha.lock").unlink()
            break
    out, rest = proc.communicate(timeout=60)
    err = "".join(seen) + rest
    assert proc.returncode == 0, err
    assert "busy (/locks/alpha.lock); waiting up to 20s" in err
    assert json.loads(out)["agents"][0]["health"] == "Healthy"


def test_unmanaged_files_at_agent_path_are_kept_aside(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"])
    ws = repo / ".agentci/workspace"
    write(ws / "agents/alpha/system_prompt.md", "put here by hand\n")
    diff = run_cli("diff", str(repo))
    assert (
        diff.returncode == 1 and "- agent.yaml" not in diff.stdout and "+ agent.yaml" in diff.stdout
    )
    rc, _, err = deploy(repo)
    assert rc == 0, err
    assert (ws / "agents/alpha").is_symlink()
    aside = list((ws / ".agentci/releases/agents/alpha").glob(".unmanaged-*/system_prompt.md"))
    assert [p.read_text() for p in aside] == ["put here by hand\n"]


def test_restore_memory_without_snapshot_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"])
    assert deploy(repo)[0] == 0
    ws = repo / ".agentci/workspace"
    before = workspace_bytes(ws)
    write(repo / "agents/alpha/system_prompt.md", "v2\n")
    write(
        repo / "knowledge/shared/doc0000.md", "knowledge v2\n"
    )  # an earlier wave must not go out either
    commit_all(repo, "v2")
    rc, _, err = deploy(repo, "--restore-memory")
    assert rc == 1 and "no memory snapshot of agent 'alpha'" in err and "nothing was changed" in err
    assert "Traceback" not in err
    assert workspace_bytes(ws) == before


def test_workspace_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"])
    ws = tmp_path / "ws"
    ws.write_text("not a directory\n")
    flags = ("--no-writeback", "--no-smoke")
    procs = [
        run_cli("deploy", str(repo), "--workspace", str(ws), *flags),
        run_cli("deploy", str(repo), "--workspace", str(ws / "sub"), *flags),
    ]
    write(repo / "agentci.yaml", f"workspace: {{backend: local, path: '{ws}'}}\n")
    commit_all(repo, "workspace path")
    procs += [run_cli("diff", str(repo)), run_cli("status", str(repo))]
    for i, proc in enumerate(procs):
        assert proc.returncode == 2, proc.args
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        # from agentci.yaml, a path outside the repo is refused before it is looked at
        words = (
            "point workspace.path (or --workspace)"
            if i < 2
            else "not a directory inside the repository"
        )
        assert words in proc.stderr, proc.stderr
    assert ws.read_text() == "not a directory\n"


MANGLED_STATES = [
    b'{"agents": [1, 2',  # truncated
    b'{"agents": {"alpha": 5}, "areas": 3}',
    b'{"agents": {"alpha": {"commit": 5, "deployed_at": 7, "health": [1], "run_url": {}}}}',
    b'{"agents": {"alpha": {"history": 5, "release": 3}}, "areas": {"knowledge": {"release": []}}}',
    b'{"agents": {"alpha": {"history": [1, "x", {"release": 5}]}}}',
    b"null",
]


def test_mangled_state_file_is_unknown_state_not_a_crash(tmp_path: Path) -> None:
    """The workspace is shared with agents and people: a hand-edited state.json must never crash
    status/diff/deploy (two of these shapes were internal errors before)."""
    repo = make_repo(tmp_path / "r", agents=["alpha"])
    assert deploy(repo)[0] == 0
    state = repo / ".agentci/workspace/.agentci/state.json"
    for i, raw in enumerate(MANGLED_STATES):
        state.write_bytes(raw)
        status = run_cli("status", str(repo), "--format", "json")
        assert status.returncode == 0 and "internal error" not in status.stderr, (
            raw,
            status.stderr,
        )
        assert json.loads(status.stdout)["agents"][0]["sync"] == "Synced"
        write(
            repo / "agents/alpha/system_prompt.md",
            f"You are alpha at {{{{ company }}}}. v{i + 2}\n",
        )
        commit_all(repo, f"v{i + 2}")
        rc, data, err = deploy(repo)
        assert rc == 0 and "internal error" not in err, (raw, err)
        assert data["agents"][0]["files_sent"] == 1
        assert run_cli("diff", str(repo)).returncode == 0
        assert isinstance(json.loads(state.read_text())["agents"]["alpha"]["history"], list)


def test_diff_of_a_hand_edit_cannot_issue_workflow_commands(tmp_path: Path) -> None:
    """Live files are untrusted: in Actions (the drift workflow) the diff body is fenced with
    stop-commands, and escape sequences are shown, not sent to the terminal."""
    repo = make_repo(tmp_path / "r", agents=["alpha"])
    write(repo / "agents/alpha/system_prompt.md", "one\n::add-mask::two\nthree\n")
    commit_all(repo, "prompt")
    assert deploy(repo)[0] == 0
    live = repo / ".agentci/workspace/agents/alpha/system_prompt.md"
    live.write_text("one\n::add-mask::two\nthree \x1b]0;pwned\x07\n")
    proc = run_cli("diff", str(repo), env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[start].split("::")[2]
    end = lines.index(f"::{token}::")
    assert any("::add-mask::two" in line for line in lines[start:end])  # the context line, fenced
    outside = lines[:start] + lines[end + 1 :]
    assert not any(line.lstrip().startswith("::") for line in outside), outside
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "three \\x1b]0;pwned\\x07" in proc.stdout
