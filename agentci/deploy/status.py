"""What is deployed: `.agentci/state.json` and `deployment.log` in the workspace, and the
`deployment-status.json` document committed to the repo.

Two axes as in Argo CD: sync (Synced / OutOfSync / Unknown: live vs git) and health
(Healthy / Progressing / Degraded / Missing: did the release come up and pass its smoke).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from agentci.deploy.backends.base import Backend

STATE = ".agentci/state.json"
LOG = "deployment.log"
SYNCED, OUT_OF_SYNC, UNKNOWN = "Synced", "OutOfSync", "Unknown"
HEALTHY, PROGRESSING, DEGRADED, MISSING = "Healthy", "Progressing", "Degraded", "Missing"


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_url() -> str | None:
    """The Actions run's page (set by the flows from `agentci.github`), None locally."""
    from agentci import origin

    return origin.current().run_url


@dataclass
class AgentResult:
    name: str
    commit: str | None
    release: str | None
    files_sent: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    changed: bool = False
    sync: str = UNKNOWN
    health: str = PROGRESSING
    message: str = ""
    smoke: dict[str, Any] | None = None
    memory: str | None = None  # snapshot | restored | wiped
    time: str = field(default_factory=now_iso)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "commit": self.commit,
            "release": self.release,
            "files_sent": self.files_sent,
            "files_unchanged": self.files_unchanged,
            "files_removed": self.files_removed,
            "changed": self.changed,
            "sync": self.sync,
            "health": self.health,
            "message": self.message,
            "smoke": self.smoke,
            "memory": self.memory,
            "time": self.time,
        }


def read_state(backend: Backend) -> dict[str, Any]:
    raw = backend.read(STATE)
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    data.setdefault("version", 1)
    # The workspace is shared with the agents and people: a hand-mangled state file is treated
    # as unknown state (the next deploy rewrites it), never as a crash.
    for key in ("agents", "areas"):
        entries = data.get(key)
        data[key] = (
            {k: v for k, v in entries.items() if isinstance(v, dict)}
            if isinstance(entries, dict)
            else {}
        )
    for rec in data["agents"].values():
        history = rec.get("history")
        rec["history"] = (
            [h for h in history if isinstance(h, dict)] if isinstance(history, list) else []
        )
    return data


def write_state(backend: Backend, state: dict[str, Any]) -> None:
    from agentci import redact

    state["updated_at"] = now_iso()
    backend.write(STATE, redact.text(json.dumps(state, indent=2, sort_keys=True) + "\n").encode())


def record_agent(
    state: dict[str, Any], r: AgentResult, files: dict[str, str], knowledge: list[str]
) -> None:
    prev = state["agents"].get(r.name, {})
    history = list(prev.get("history", []))
    if r.release and (not history or history[-1].get("release") != r.release):
        history.append({"release": r.release, "commit": r.commit, "time": r.time})
    state["agents"][r.name] = {
        "commit": r.commit,
        "release": r.release,
        "files": files,
        "knowledge": knowledge,
        "health": r.health,
        "deployed_at": r.time,
        "run_url": run_url(),
        "history": history[-50:],
    }


def append_log(backend: Backend, entry: dict[str, Any]) -> None:
    entry = {"time": now_iso(), **entry}
    from agentci import redact

    backend.append(
        LOG, redact.text(json.dumps(redact.scrub(entry), sort_keys=True) + "\n").encode()
    )


def status_document(
    environment: str, backend: Backend, commit: str | None, result: str, agents: list[AgentResult]
) -> dict[str, Any]:
    return {
        "version": 1,
        "environment": environment,
        "backend": backend.name,
        "commit": commit,
        "result": result,
        "updated_at": now_iso(),
        "run_url": run_url(),
        "agents": {
            a.name: {
                "commit": a.commit,
                "release": a.release,
                "sync": a.sync,
                "health": a.health,
                "time": a.time,
                "run_url": run_url(),
                "files_sent": a.files_sent,
                "files_unchanged": a.files_unchanged,
            }
            for a in agents
        },
    }


def render_table(rows: list[dict[str, Any]]) -> str:
    headers = ["AGENT", "COMMIT", "SYNC", "HEALTH", "DEPLOYED", "MESSAGE"]
    table = [
        [
            r["name"],
            (r.get("commit") or "-")[:12],
            r["sync"],
            r["health"],
            r.get("time") or "-",
            r.get("message") or "",
        ]
        for r in rows
    ]
    widths = [
        max(len(h), *(len(str(row[i])) for row in table)) if table else len(h)
        for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
        for row in table
    ]
    return "\n".join(lines)


def elapsed(start: float) -> float:
    return round(time.monotonic() - start, 3)
