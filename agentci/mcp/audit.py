"""The workspace's audit log of MCP tool calls: `.agentci/audit.log`, one JSON object a line.

`{"time": "...Z", "ts": 1764428400.123, "agent": "writer", "tool": "write_file",
"path": "/research/r1.md", "verdict": "denied", "rule": "no-write-grant"}`. Verdicts:
`allowed`, `denied` (a policy or path rule refused it; `rule` names which), `busy` (a lock
held by another agent), `error` (allowed, but failed: no such file, too large, ...).

Each line is one write(2) on an O_APPEND descriptor, so servers of several agents appending at
once never interleave. Bounded: past `MAX_AUDIT_BYTES` the log is rotated to `audit.log.1`
(one generation kept), so `agentci status` never reads more than that. Agents cannot read or
write it (`/.agentci` is internal to agentci).

This module imports nothing heavy: `agentci status` uses `denied_since`.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

AUDIT_LOG = ".agentci/audit.log"
MAX_AUDIT_BYTES = 8 << 20
MAX_FIELD_CHARS = 300


class AuditLog:
    def __init__(self, root: Path, agent: str) -> None:
        self.path = Path(root) / AUDIT_LOG
        self.agent = agent

    def record(
        self,
        tool: str,
        path: str | None,
        verdict: str,
        rule: str | None = None,
        detail: str | None = None,
        **extra: Any,
    ) -> None:
        now = time.time()
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4]
            + "Z",
            "ts": round(now, 3),
            "agent": self.agent,
            "tool": tool,
            "path": _short(path),
            "verdict": verdict,
        }
        if rule:
            entry["rule"] = rule
        if detail:
            entry["detail"] = _short(detail)
        entry.update({k: _short(v) if isinstance(v, str) else v for k, v in extra.items()})
        line = (json.dumps(entry, ensure_ascii=True) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rotate()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def _rotate(self) -> None:
        try:
            if self.path.stat().st_size >= MAX_AUDIT_BYTES:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        except FileNotFoundError:
            pass


def _short(value: str | None) -> str | None:
    if value is None or len(value) <= MAX_FIELD_CHARS:
        return value
    return value[:MAX_FIELD_CHARS] + "…"


def denied_since(raw: bytes | None, since: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Per agent in `since`: denied calls logged at or after its time (the agent's last deploy).

    Returns `{agent: {"count": n, "last": entry}}`; lines that are not ours are skipped (the
    log lives in a workspace people can edit).
    """
    out: dict[str, dict[str, Any]] = {}
    for line in (raw or b"").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("verdict") != "denied":
            continue
        agent, ts = entry.get("agent"), entry.get("ts")
        if not isinstance(agent, str) or agent not in since or not isinstance(ts, (int, float)):
            continue
        if ts >= since[agent]:
            seen = out.setdefault(agent, {"count": 0, "last": None})
            seen["count"] += 1
            seen["last"] = {k: entry.get(k) for k in ("time", "tool", "path", "rule")}
    return out


def iso_to_ts(value: object) -> float | None:
    """`2026-11-29T16:00:00Z` (deploy's timestamps) -> epoch seconds."""
    if not isinstance(value, str):
        return None
    try:
        return (
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
        )
    except ValueError:
        return None
