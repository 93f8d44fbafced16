"""agentci.source: path resolution that never leaves the repo; work tree and git commit views."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentci.source import GitTree, PathEscape, WorkTree, files_under, glob, resolve
from tests.conftest import commit_all, init_repo


@pytest.mark.parametrize(
    ("base", "ref", "want"),
    [
        ("agents/bot", "system_prompt.md", "agents/bot/system_prompt.md"),
        ("agents/bot", "../../knowledge", "knowledge"),
        ("agents/bot", "./evals/../evals/g.yaml", "agents/bot/evals/g.yaml"),
        ("", ".", ""),
        ("a", "b\\c.md", "a/b/c.md"),
    ],
)
def test_resolve_inside(base: str, ref: str, want: str) -> None:
    assert resolve(base, ref) == want


@pytest.mark.parametrize(
    "ref",
    [
        "../../../etc/passwd",
        "/etc/passwd",
        "\\\\server\\x",
        "C:\\x",
        "../../..",
        "",
        "  ",
        "a\x00b",
    ],
)
def test_resolve_escapes(ref: str) -> None:
    with pytest.raises(PathEscape):
        resolve("agents/bot", ref)


def _tree(root: Path) -> None:
    for rel in (
        "agents/a/agent.yaml",
        "agents/a/evals/x.yaml",
        "agents/a-b/agent.yaml",
        "agents/ab/evals/y.yml",
        "knowledge/k/one.md",
        "knowledge/k2.md",
        ".git/config",
        ".agentci/state.json",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)


def test_worktree_files_glob_and_files_under(tmp_path: Path) -> None:
    _tree(tmp_path)
    src = WorkTree(tmp_path)
    assert ".git/config" not in src.files() and ".agentci/state.json" not in src.files()
    assert glob(src, "agents/*/agent.yaml") == ["agents/a-b/agent.yaml", "agents/a/agent.yaml"]
    assert glob(src, "agents/**/*.y*ml") == sorted(
        f for f in src.files() if f.startswith("agents/")
    )
    assert glob(src, "agents/a/evals/*.yaml") == ["agents/a/evals/x.yaml"]
    assert files_under(src, "knowledge/k") == ["knowledge/k/one.md"]  # not knowledge/k2.md
    assert files_under(src, "knowledge/k2.md") == ["knowledge/k2.md"]
    assert files_under(src, "agents/a") == ["agents/a/agent.yaml", "agents/a/evals/x.yaml"]


def test_worktree_symlinks_out_of_the_repo(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "inside.md").write_text("ok")
    os.symlink(outside / "secret", repo / "leak.md")
    os.symlink(repo / "inside.md", repo / "alias.md")
    os.symlink(outside, repo / "dir")
    src = WorkTree(repo)
    assert src.size("leak.md") is None and src.escapes("leak.md")
    with pytest.raises(PathEscape):
        src.read_bytes("leak.md")
    with pytest.raises(PathEscape):
        src.read_bytes("dir/secret")
    assert src.read_bytes("alias.md") == b"ok" and not src.escapes("alias.md")
    assert not src.is_dir("dir")


def test_gittree_reads_a_commit_without_checkout(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / ".git").rename(tmp_path / "not-git")
    first = init_repo(tmp_path)
    (tmp_path / "knowledge/k2.md").write_text("changed")
    commit_all(tmp_path, "change")
    old = GitTree(tmp_path, first)
    assert old.read_bytes("knowledge/k2.md") == b"knowledge/k2.md"
    assert old.size("knowledge/k2.md") == len("knowledge/k2.md")
    assert glob(old, "agents/*/agent.yaml") == ["agents/a-b/agent.yaml", "agents/a/agent.yaml"]
    assert files_under(old, "knowledge/k") == ["knowledge/k/one.md"]
    assert old.size("missing") is None and old.commit() == first


def test_names_longer_than_the_filesystem_allows_are_simply_absent(tmp_path):
    # Found by the hostile suite: `evals: ["a" * 300]` made stat() raise ENAMETOOLONG.
    tree = WorkTree(tmp_path)
    long = "agents/a/" + "a" * 300
    assert tree.size(long) is None
    assert tree.is_dir(long) is False


def test_a_manifest_naming_an_overlong_path_is_a_finding(tmp_path):
    from agentci.repo import load_repo

    (tmp_path / "agents" / "a").mkdir(parents=True)
    (tmp_path / "agents" / "a" / "agent.yaml").write_text(
        f"agent:\n  name: a\n  evals: [{'a' * 300}]\n"
    )
    repo = load_repo(WorkTree(tmp_path))
    assert "missing-file" in {f.rule for f in repo.findings}
