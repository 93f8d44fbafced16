"""The list of semantic checks `validate` runs (one module per family)."""

from __future__ import annotations

from collections.abc import Callable

from agentci.findings import Finding, error
from agentci.repo import Repo


def duplicate_agents(repo: Repo) -> list[Finding]:
    seen: dict[str, str] = {}
    out = []
    for agent in repo.agents:
        if agent.name in seen:
            doc = repo.documents[agent.manifest]
            out.append(
                error(
                    "duplicate-agent",
                    agent.manifest,
                    doc.line_of(["agent", "name"]),
                    f"agent name {agent.name!r} is already used by {seen[agent.name]}",
                    "give every agent a unique name",
                )
            )
        else:
            seen[agent.name] = agent.manifest
    return out


CHECKS: list[Callable[[Repo], list[Finding]]] = [duplicate_agents]
