"""Access policy checks for the tools agents run with.

Policies are written by `agentci deploy` to `.agentci/policies/<agent>.json` in the
workspace: `{"agent": ..., "read": ["/knowledge", ...], "write": ["/drafts", ...]}`.
A path is allowed when it is one of the listed directories or below one, after
normalisation. Anything odd (`..` segments, NUL, encoded dots, no policy) is denied.
`agentci mcp` (agentci/mcp/) enforces the same grants plus rules above them (internal files,
deploy-managed areas, other agents' memory) on every call an agent makes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from agentci.mcp.paths import Refused, clean, is_under

DEFAULT_DIR = ".agentci/policies"


def normalize(path: str) -> str | None:
    """A clean absolute workspace path, or None when the path tries something.

    The same spelling rules `agentci mcp` enforces (`agentci.mcp.paths.clean`): `..`, NUL,
    backslashes, percent-encodings and unicode lookalikes are refused, not decoded.
    """
    try:
        return clean(path)
    except Refused:
        return None


def load(
    agent: str, policy_dir: str | os.PathLike[str] | None = None
) -> dict[str, list[str]] | None:
    if not agent or "/" in agent or "\\" in agent or agent.startswith("."):
        return None
    top = Path(policy_dir or os.environ.get("AGENTCI_POLICY_DIR") or DEFAULT_DIR)
    try:
        data = json.loads((top / f"{agent}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {k: [p for p in data.get(k, []) if isinstance(p, str)] for k in ("read", "write")}


def allowed(
    agent: str, op: str, path: str, policy_dir: str | os.PathLike[str] | None = None
) -> bool:
    """May `agent` `op` ("read" | "write") `path` (a workspace path such as "/knowledge/a.md")?

    Write access implies read access to the same place. Unknown agents and ops are denied.
    """
    if op not in ("read", "write"):
        return False
    target = normalize(path)
    pol = load(agent, policy_dir)
    if target is None or pol is None:
        return False
    grants = pol["write"] if op == "write" else pol["read"] + pol["write"]
    return any(g is not None and is_under(target, g) for g in map(normalize, grants))
