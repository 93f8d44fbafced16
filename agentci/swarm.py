"""swarm.yaml in both accepted forms, read into one list of roles.

- agentci's form: `roles: [{name, agent, input_dir, output_dir, next}]`; the agent's own
  `permissions` must already cover the role's directories (validate checks that).
- the seed articles' form (Fast.io's "AI Agent GitOps Workflows"; the file verbatim in
  tests/fixtures/seed/swarm/): `swarm: [{role, input_dir, output_dir}]`: each role is the agent
  of that name, and deploy *grants* it write on output_dir and read on input_dir ("the
  Orchestrator ensures that the researcher agent has write access to /research and the
  writer has read access"), on top of the manifest's permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentci.documents import Document


@dataclass(frozen=True)
class Role:
    key: tuple[str | int, ...]  # key path of the role entry in swarm.yaml, e.g. ("swarm", 1)
    name: str
    agent: str | None  # None when the entry names no agent (the schema reports it)
    input_dir: str | None
    output_dir: str | None
    next: tuple[Any, ...]
    grants: bool  # the seed form: deploy grants the directories; agentci's form: permissions must


def roles(doc: Document | None) -> list[Role]:
    data = doc.data if doc is not None else None
    if not isinstance(data, dict):
        return []
    out: list[Role] = []
    for form, grants in (("roles", False), ("swarm", True)):
        entries = data.get(form)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            name = entry.get("role" if grants else "name")
            agent = name if grants else entry.get("agent")
            nxt = entry.get("next")
            out.append(
                Role(
                    key=(form, i),
                    name=name if isinstance(name, str) else f"#{i}",
                    agent=agent if isinstance(agent, str) and agent else None,
                    input_dir=_str(entry.get("input_dir")),
                    output_dir=_str(entry.get("output_dir")),
                    next=tuple(nxt) if isinstance(nxt, list) else (),
                    grants=grants,
                )
            )
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
