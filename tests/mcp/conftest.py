"""Fixtures for the MCP server tests (helpers live in mcp_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mcp.mcp_helpers import deploy, seed_swarm


@pytest.fixture
def swarm(tmp_path: Path) -> tuple[Path, Path]:
    """(repo, workspace): the seed swarm committed and deployed with the real `agentci deploy`."""
    repo = seed_swarm(tmp_path / "repo")
    ws = tmp_path / "ws"
    deploy(repo, ws)
    return repo, ws
