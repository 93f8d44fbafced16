"""Desired vs live, per area and file, by content hash (what `diff` prints and `deploy` applies)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentci.deploy.backends.base import AreaRef, Backend
from agentci.deploy.desired import Area, Desired, agent_area

ADDED, MODIFIED, REMOVED = "added", "modified", "removed"


@dataclass
class AreaPlan:
    ref: AreaRef
    kind: str  # "agent" | "knowledge" | "policies"
    name: str
    release: str | None  # desired release id (None: the area is to be pruned)
    live_release: str | None
    desired: dict[str, str]  # path -> hash
    live: dict[str, str] | None  # None: nothing live
    changes: dict[str, str] = field(default_factory=dict)  # path -> added|modified|removed
    extra: bool = False  # live but not in git (pruned only with --prune)

    @property
    def in_sync(self) -> bool:
        return not self.changes and self.live is not None

    @property
    def sync(self) -> str:
        return "Synced" if self.in_sync else "OutOfSync"

    @property
    def unchanged(self) -> list[str]:
        return sorted(p for p in self.desired if p not in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "path": self.ref.path,
            "sync": self.sync,
            "release": self.release,
            "live_release": self.live_release,
            "extra": self.extra,
            "changes": [{"path": p, "change": c} for p, c in sorted(self.changes.items())],
        }


@dataclass
class Plan:
    areas: list[AreaPlan]

    @property
    def in_sync(self) -> bool:
        return all(a.in_sync for a in self.areas if not a.extra)

    @property
    def drift(self) -> bool:
        return not self.in_sync or any(a.extra for a in self.areas)

    def agent(self, name: str) -> AreaPlan | None:
        return next((a for a in self.areas if a.kind == "agent" and a.name == name), None)


def compare(desired: dict[str, str], live: dict[str, str] | None) -> dict[str, str]:
    live = live or {}
    out = {p: ADDED for p in desired if p not in live}
    out.update({p: MODIFIED for p in desired if p in live and live[p] != desired[p]})
    out.update({p: REMOVED for p in live if p not in desired})
    return out


def plan_area(backend: Backend, area: Area, kind: str, name: str) -> AreaPlan:
    desired = area.hashes(backend.hash_algo)
    live = backend.live_files(area.ref)
    return AreaPlan(
        area.ref,
        kind,
        name,
        area.release_id(backend.hash_algo),
        backend.live_release(area.ref),
        desired,
        live,
        compare(desired, live),
    )


def make_plan(backend: Backend, desired: Desired, only: set[str] | None = None) -> Plan:
    areas = [
        plan_area(backend, desired.knowledge, "knowledge", "knowledge"),
        plan_area(backend, desired.policies, "policies", "policies"),
    ]
    for name, d in desired.agents.items():
        if only is None or name in only:
            areas.append(plan_area(backend, d.area, "agent", name))
    for name in backend.live_areas("agents"):
        if name not in desired.agents:
            ref = agent_area(name)
            live = backend.live_files(ref)
            areas.append(
                AreaPlan(
                    ref,
                    "agent",
                    name,
                    None,
                    backend.live_release(ref),
                    {},
                    live,
                    compare({}, live),
                    extra=True,
                )
            )
    return Plan(areas)
