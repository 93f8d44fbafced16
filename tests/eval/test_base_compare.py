"""Which agents changed since the base: a git base is compared by object id (nothing of the base
is read for an unchanged agent), and that must agree byte for byte with comparing contents."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentci.eval import baseline
from agentci.repo import load_repo
from agentci.source import GitTree, WorkTree
from tests.conftest import commit_all, git, init_repo
from tests.eval.conftest import simple_cases, write_agent


def _changed(root: Path, ref: str) -> dict[str, bool]:
    head = load_repo(WorkTree(root))
    with GitTree(root, ref) as tree:
        base = load_repo(tree, eval_sets=False)
        by_id = {a.name: baseline.changed(a, head.source, base) for a in head.agents}
    # the same question answered by reading both sides' bytes (a work tree as the base)
    other = root.parent / f"base-checkout-{len(list(root.parent.glob('base-checkout-*')))}"
    subprocess.run(["git", "clone", "-q", str(root), str(other)], check=True)
    git(other, "checkout", "-q", ref)
    by_bytes = {
        a.name: baseline.changed(a, head.source, load_repo(WorkTree(other))) for a in head.agents
    }
    assert by_id == by_bytes
    return by_id


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_changed_by_object_id_agrees_with_contents(tmp_path: Path, object_format: str) -> None:
    root = tmp_path / "repo"
    write_agent(root, "bot", cases=simple_cases(2), extra="  knowledge: [../../knowledge]\n")
    write_agent(root, "other", cases=simple_cases(2))
    write_agent(root, "gone", cases=simple_cases(1))
    (root / "knowledge").mkdir()
    (root / "knowledge" / "faq.md").write_text("Returns: 30 days.\n")
    if object_format == "sha256":
        proc = subprocess.run(["git", "init", "-q", "--object-format=sha256", str(root)])
        if proc.returncode != 0:
            pytest.skip("this git cannot make sha256 repositories")
    base = init_repo(root)
    git(root, "branch", "base", base)
    assert _changed(root, "base") == {"bot": False, "other": False, "gone": False}

    (root / "knowledge" / "new.md").write_text("New.\n")  # a knowledge file added
    prompt = root / "agents" / "other" / "system_prompt.md"
    prompt.write_bytes(prompt.read_bytes().replace(b"\n", b"\r\n"))  # only line endings
    (root / "agents" / "gone" / "evals").rename(root / "agents" / "gone" / "evals-old")
    commit_all(root, "edits")
    assert _changed(root, "base") == {"bot": True, "other": True, "gone": True}
