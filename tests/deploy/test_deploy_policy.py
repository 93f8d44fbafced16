"""agentci.mcp.policy: what an MCP server asks before letting an agent read or write a path."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_helpers import deploy, make_repo, write

from agentci.mcp.policy import allowed, normalize


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # /inbox is filled from outside the swarm (no role writes it): the rule saying so is ignored here.
    repo = make_repo(
        tmp_path_factory.mktemp("p") / "r",
        agents=["alpha", "beta"],
        config="ignore: [swarm-input-unwritten]\n",
    )
    # The seed form: the role's directories are granted by deploy, not by beta's permissions.
    write(repo / "swarm.yaml", "swarm:\n  - {role: beta, input_dir: /inbox, output_dir: /outbox}\n")
    from deploy_helpers import commit_all

    commit_all(repo, "swarm")
    assert deploy(repo)[0] == 0
    return repo / ".agentci/workspace/.agentci/policies"


@pytest.mark.parametrize(
    ("agent", "op", "path", "ok"),
    [
        ("alpha", "read", "/knowledge/shared/doc0001.md", True),
        ("alpha", "read", "/knowledge", True),
        ("alpha", "write", "/drafts/reply.txt", True),
        ("alpha", "read", "/drafts/reply.txt", True),  # write implies read
        ("alpha", "write", "/knowledge/shared/doc0001.md", False),
        ("alpha", "read", "/knowledge-private/x", False),  # prefix, not a directory boundary
        ("alpha", "read", "/drafts/../secrets.txt", False),
        ("alpha", "read", "/drafts/%2e%2e/secrets.txt", False),
        ("alpha", "read", "/drafts\\..\\secrets.txt", False),
        ("alpha", "read", "/knowledge/a\x00b", False),
        ("alpha", "write", "/memory/alpha.json", True),
        ("alpha", "write", "/memory/beta.json", False),
        ("alpha", "delete", "/drafts/x", False),
        ("beta", "read", "/inbox/task.md", True),  # from swarm.yaml
        ("beta", "write", "/outbox/result.md", True),
        ("alpha", "read", "/inbox/task.md", False),
        ("ghost", "read", "/knowledge", False),
        ("../alpha", "read", "/knowledge", False),
    ],
)
def test_allowed(policies: Path, agent: str, op: str, path: str, ok: bool) -> None:
    assert allowed(agent, op, path, policy_dir=policies) is ok


def test_normalize() -> None:
    assert normalize("knowledge//a/./b.md") == "/knowledge/a/b.md"
    assert normalize("/a/../b") is None
    assert normalize("") is None
