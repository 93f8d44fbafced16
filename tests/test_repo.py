"""agentci.repo: discovery of the three layouts and loading of every referenced file."""

from __future__ import annotations

import shutil
from pathlib import Path

from agentci.repo import load_repo
from agentci.source import GitTree, WorkTree
from tests.conftest import EXAMPLES, init_repo


def test_support_bot_layout() -> None:
    repo = load_repo(WorkTree(EXAMPLES / "support-bot"))
    [agent] = repo.agents
    assert agent.name == "support-bot" and agent.prompt == "agents/support-bot/system_prompt.md"
    assert agent.tools == "agents/support-bot/tools.json" and agent.knowledge == [
        "knowledge/support"
    ]
    assert agent.evals == ["agents/support-bot/evals/golden.yaml"]
    assert agent.write == ["/drafts", "/logs"] and agent.model.provider == "local"
    assert repo.findings == []


def test_single_agent_layout_uses_the_default_globs() -> None:
    repo = load_repo(WorkTree(EXAMPLES / "single-agent"))
    [agent] = repo.agents
    assert (agent.manifest, agent.dir) == ("agent-manifest.yaml", "")
    assert agent.prompt == "prompts/system.md" and agent.evals == ["evals/golden.yaml"]
    assert agent.knowledge_files(repo.source) == ["knowledge/pantry.md"]


def test_swarm_layout() -> None:
    repo = load_repo(WorkTree(EXAMPLES / "swarm"))
    assert sorted(a.name for a in repo.agents) == ["researcher", "writer"]
    assert repo.swarm is not None and [r["agent"] for r in repo.swarm.data["roles"]] == [
        "researcher",
        "writer",
    ]


def test_bad_references_are_findings_on_their_lines(tmp_path: Path) -> None:
    (tmp_path / "agents/x").mkdir(parents=True)
    (tmp_path / "agents/x/agent.yaml").write_text(
        "agent:\n  name: x\n  prompt: nope.md\n  tools: ../../../etc/passwd\n  knowledge: [/abs]\n"
    )
    repo = load_repo(WorkTree(tmp_path))
    got = sorted((f.rule, f.line) for f in repo.findings)
    assert got == [("missing-file", 3), ("path-escape", 4), ("path-escape", 5)]
    [agent] = repo.agents
    assert agent.prompt is None and agent.tools is None and agent.knowledge == []


def test_load_from_a_git_commit(tmp_path: Path) -> None:
    dest = tmp_path / "bot"
    shutil.copytree(EXAMPLES / "support-bot", dest, ignore=shutil.ignore_patterns(".agentci"))
    sha = init_repo(dest)
    (dest / "agents/support-bot/agent.yaml").write_text("agent: {name: changed}\n")
    repo = load_repo(GitTree(dest, sha))
    assert [a.name for a in repo.agents] == ["support-bot"]
