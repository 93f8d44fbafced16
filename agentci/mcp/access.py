"""The deployed policy of one agent and the rules every path must pass, in order.

The policy is the file `agentci deploy` wrote in the workspace (`.agentci/policies/<agent>.json`),
never the repo's working tree: what was reviewed and merged is what is enforced. It is read
again on every call (a few hundred bytes per agent), so a redeploy that narrows a grant
applies to the next call of a running server.

Rules (the first that matches decides; its name is in the denial and the audit log):
- `not-deployed`: no policy for the agent (never deployed, or pruned since the server started);
- `internal`: `/.agentci` (state, policies, releases, locks, the audit log) is never served;
- `other-agent-memory`: another deployed agent's `memory_path`, whatever the grants say;
- `managed-area`: writes under `/agents`, `/knowledge` and `/deployment.log`, which every deploy
  replaces (nobody writes `/knowledge`, not even with a grant);
- `no-read-grant` / `no-write-grant`: no grant covers the path (write implies read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from agentci.mcp.paths import Refused, clean, is_under
from agentci.mcp.policy import DEFAULT_DIR as POLICY_DIR

INTERNAL = "/.agentci"
MANAGED = ("/agents", "/knowledge", "/deployment.log")
MAX_POLICY_BYTES = 1 << 20


@dataclass(frozen=True)
class Policy:
    agent: str
    read: tuple[str, ...]
    write: tuple[str, ...]
    memory: str | None
    others_memory: tuple[str, ...]

    @property
    def source(self) -> str:
        return f"{POLICY_DIR}/{self.agent}.json"

    def check(self, op: str, path: str) -> None:
        """Raise Refused unless the agent may `op` ("read" | "write") the clean path `path`."""
        if is_under(path, INTERNAL):
            raise Refused("internal", path, "agentci's own files are not served")
        for other in self.others_memory:
            if is_under(path, other):
                raise Refused(
                    "other-agent-memory",
                    path,
                    "another agent's memory; each agent reaches only its own",
                )
        if op == "write":
            for area in MANAGED:
                if is_under(path, area):
                    raise Refused(
                        "managed-area",
                        path,
                        f"{area} is replaced by every deploy; agents cannot write it",
                    )
            grants = self.write
        else:
            grants = self.read + self.write
        if not any(is_under(path, g) for g in grants):
            shown = ", ".join(grants) or "none"
            raise Refused(
                f"no-{op}-grant",
                path,
                f"no {op} grant in {self.source} covers it ({op} grants: {shown})",
            )

    def leads_to_grant(self, path: str) -> bool:
        """A directory above some grant (`/` when `/research` is granted): listable, to find the way."""
        return not is_under(path, INTERNAL) and any(
            is_under(g, path) for g in self.read + self.write
        )


def load(root: Path, agent: str) -> Policy:
    """The agent's deployed policy, read now; Refused("not-deployed") when there is none."""
    top = root / POLICY_DIR
    own = _read(top / f"{agent}.json")
    if own is None or own.get("agent", agent) != agent:
        raise Refused(
            "not-deployed",
            f"{POLICY_DIR}/{agent}.json",
            f"agent {agent!r} has no deployed policy in this workspace (run agentci deploy)",
        )
    memory = _clean_grant(own.get("memory"))
    others: set[str] = set()
    try:
        names = sorted(p.name for p in top.iterdir() if p.suffix == ".json" and p.stem != agent)
    except OSError:
        names = []
    for name in names:
        theirs = _read(top / name)
        m = _clean_grant(theirs.get("memory")) if theirs else None
        if m and m != memory:
            others.add(m)
    return Policy(
        agent, _grants(own.get("read")), _grants(own.get("write")), memory, tuple(sorted(others))
    )


def _read(path: Path) -> dict[str, object] | None:
    try:
        with path.open("rb") as fh:
            data = json.loads(fh.read(MAX_POLICY_BYTES))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _clean_grant(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return clean(value)
    except Refused:
        return None  # a grant that does not parse grants nothing


def _grants(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else []
    return tuple(g for g in (_clean_grant(v) for v in items) if g)
