"""`memory_conflicts` indexes paths instead of comparing every pair: it must name the same
agents with the same reasons as the plain pairwise scan it replaced (kept here as the oracle)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentci.validate.paths import DEPLOYED, memory_conflicts


@dataclass
class Lock:
    path: str


@dataclass
class Agent:
    name: str
    memory_path: str | None
    lock: Lock | None


def _norm(path: str) -> str:
    return posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")


def _overlap(a: str, b: str) -> bool:
    return a == b or not a or not b or a.startswith(b + "/") or b.startswith(a + "/")


def pairwise(agents: list[Any]) -> list[tuple[Any, str]]:
    out: list[tuple[Any, str]] = []
    for agent in agents:
        if not agent.memory_path:
            continue
        mine = _norm(agent.memory_path)
        if not mine:
            out.append((agent, "it is the workspace root"))
            continue
        hit = next((d for d in DEPLOYED if _overlap(mine, d)), None)
        if hit:
            out.append((agent, f"it overlaps /{hit}, which deploys replace"))
            continue
        for other in agents:
            if other is agent:
                continue
            if other.memory_path and _overlap(mine, _norm(other.memory_path)):
                out.append(
                    (agent, f"it overlaps the memory of agent {other.name!r} ({other.memory_path})")
                )
                break
            if other.lock and _overlap(mine, _norm(other.lock.path)):
                out.append(
                    (
                        agent,
                        f"it overlaps the busy lock of agent {other.name!r} ({other.lock.path})",
                    )
                )
                break
        else:
            if agent.lock and _overlap(mine, _norm(agent.lock.path)):
                out.append((agent, f"it overlaps the agent's own busy lock ({agent.lock.path})"))
    return out


SEGMENTS = st.sampled_from(["m", "a", "b", "x.json", "..", ".", "", "agents", "memory"])
PATHS = st.lists(SEGMENTS, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts))
AGENTS = st.lists(
    st.tuples(st.one_of(st.none(), PATHS), st.one_of(st.none(), PATHS)), min_size=1, max_size=8
).map(
    lambda rows: [
        Agent(f"a{i}", memory, Lock(lock) if lock is not None else None)
        for i, (memory, lock) in enumerate(rows)
    ]
)


@settings(max_examples=400, deadline=None)
@given(AGENTS)
def test_same_answers_as_the_pairwise_scan(agents: list[Agent]) -> None:
    assert memory_conflicts(agents) == pairwise(agents)


def test_a_thousand_agents_are_checked_in_linear_time() -> None:
    agents = [Agent(f"a{i}", f"/memory/a{i}.json", Lock(f"/locks/a{i}")) for i in range(1000)]
    agents.append(Agent("late", "/memory", None))  # above every other agent's memory
    got = memory_conflicts(agents)
    assert got == pairwise(agents)
    assert [(a.name, why) for a, why in got][-1] == (
        "late",
        "it overlaps the memory of agent 'a0' (/memory/a0.json)",
    )


def test_a_workspace_path_with_a_nul_byte_is_refused_not_a_crash(tmp_path) -> None:
    from agentci.validate.paths import workspace_path_escapes

    assert workspace_path_escapes(tmp_path, "x\x00y")
    assert not workspace_path_escapes(tmp_path, "workspace")
