"""Paths a hostile repository names, through the real CLI: memory that overlaps another
agent's memory, a busy lock or what deploys write; a workspace.path outside the repo; a
file swapped for a symlink while a work tree is deployed. Validate reports each, deploy
refuses it, and nothing outside the repo or the named workspace changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bounded_run import run_measured

from agentci.source import PathEscape, WorkTree
from tests.deploy.deploy_helpers import commit_all, make_repo, write

DEPLOY = ("deploy", "--no-smoke", "--no-writeback")


def _set_memory(repo: Path, agent: str, memory: str, lock: str | None = None) -> None:
    manifest = repo / "agents" / agent / "agent.yaml"
    text = manifest.read_text().replace(
        f"  memory_path: /memory/{agent}.json", f"  memory_path: {memory}"
    )
    if lock:
        text += f"  lock: {{path: {lock}, on_busy: fail}}\n"
    write(manifest, text)


@pytest.mark.parametrize(
    "memory,lock,why",
    [
        ("/memory/alpha.json/x", None, "overlaps the memory of agent 'alpha'"),
        ("/memory", None, "overlaps the memory of agent 'alpha'"),
        ("/locks", "/locks/beta.lock", "overlaps the agent's own busy lock"),
        ("/.gitignore", None, "overlaps /.gitignore"),
        ("/agents/alpha", None, "overlaps /agents"),
    ],
)
def test_memory_overlap_is_a_validate_error_and_deploy_refuses_it(tmp_path, memory, lock, why):
    repo = make_repo(tmp_path / "r", agents=["alpha", "beta"], knowledge_files=1)
    ws = tmp_path / "ws"
    assert run_measured(*DEPLOY, "--workspace", str(ws), cwd=repo, env={}).returncode == 0
    write(ws / "memory" / "alpha.json", '{"alpha": "remembers"}')
    _set_memory(repo, "beta", memory, lock)
    commit_all(repo, "overlapping memory")

    run = run_measured("validate", "--format", "json", cwd=repo, env={})
    found = [
        f
        for f in json.loads(run.stdout)["findings"]
        if f["rule"] == "memory-path-overlap" and f["path"] == "agents/beta/agent.yaml"
    ]
    assert run.returncode == 1 and found and why in found[0]["message"], run.stdout

    for extra in ((), ("--wipe-memory",)):
        run = run_measured(*DEPLOY, *extra, "--workspace", str(ws), cwd=repo, env={})
        assert run.returncode == 1, run.stderr
        assert "memory_path" in run.stderr and "internal error" not in run.stderr, run.stderr
        assert (ws / "memory" / "alpha.json").read_text() == '{"alpha": "remembers"}'


@pytest.mark.parametrize(
    "path", ["/", "..", "../outside", "/tmp/agentci-ws-escape", ".", ".git/ws"]
)
def test_workspace_path_outside_the_repo_comes_only_from_trusted_input(tmp_path, path):
    repo = make_repo(tmp_path / "r", agents=["alpha"], knowledge_files=1)
    cfg = repo / "agentci.yaml"
    write(cfg, cfg.read_text().replace("path: .agentci/workspace", f"path: {json.dumps(path)}"))
    commit_all(repo, "workspace elsewhere")
    before = sorted(p.name for p in tmp_path.iterdir())

    run = run_measured("validate", "--format", "json", cwd=repo, env={})
    rules = {f["rule"] for f in json.loads(run.stdout)["findings"]}
    assert run.returncode == 1 and "workspace-path-escape" in rules, run.stdout
    run = run_measured(*DEPLOY, cwd=repo, env={})
    assert run.returncode == 1, (
        run.stderr
    )  # refused by deploy's validate gate, with the finding's fix
    assert (
        "is not a directory inside the repository" in run.stderr
        and "AGENTCI_WORKSPACE" in run.stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not Path("/tmp/agentci-ws-escape").exists()

    # the workflow (trusted) may point elsewhere: --workspace or AGENTCI_WORKSPACE
    trusted = tmp_path / "trusted-ws"
    write(cfg, cfg.read_text().replace(f"path: {json.dumps(path)}", "path: .agentci/workspace"))
    commit_all(repo, "back inside")
    run = run_measured(*DEPLOY, cwd=repo, env={"AGENTCI_WORKSPACE": str(trusted)})
    assert run.returncode == 0, run.stderr
    assert (trusted / "agents" / "alpha" / "system_prompt.md").exists()


def test_a_file_swapped_for_a_symlink_after_the_walk_is_not_read(tmp_path):
    (tmp_path / "repo" / "sub").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "repo" / "a.md").write_text("inside")
    (tmp_path / "repo" / "sub" / "b.md").write_text("inside")
    (tmp_path / "out" / "a.md").write_text("OUTSIDE")
    (tmp_path / "out" / "b.md").write_text("OUTSIDE")
    tree = WorkTree(tmp_path / "repo")
    assert tree.files() == ["a.md", "sub/b.md"]  # walked: both plain files
    (tmp_path / "repo" / "a.md").unlink()
    (tmp_path / "repo" / "a.md").symlink_to(tmp_path / "out" / "a.md")
    with pytest.raises(PathEscape):
        tree.read_bytes("a.md")
    (tmp_path / "repo" / "sub" / "b.md").unlink()
    (tmp_path / "repo" / "sub").rmdir()
    (tmp_path / "repo" / "sub").symlink_to(tmp_path / "out")
    with pytest.raises(PathEscape):
        tree.read_bytes("sub/b.md")
