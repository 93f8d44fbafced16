"""Access policy checks for the tools agents run with (an MCP server calls `allowed`).

Policies are written by `agentci deploy` to `.agentci/policies/<agent>.json` in the
workspace: `{"agent": ..., "read": ["/knowledge", ...], "write": ["/drafts", ...]}`.
A path is allowed when it is one of the listed directories or below one, after
normalisation. Anything odd (`..` segments, NUL, encoded dots, no policy) is denied.
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path
from urllib.parse import unquote

DEFAULT_DIR = ".agentci/policies"


def normalize(path: str) -> str | None:
    """A clean absolute workspace path, or None when the path tries something."""
    if not isinstance(path, str) or not path or "\x00" in path:
        return None
    decoded = unquote(path).replace("\\", "/")
    if any(seg == ".." for seg in decoded.split("/")):
        return None
    return posixpath.normpath("/" + decoded)


def load(agent: str, policy_dir: str | os.PathLike[str] | None = None) -> dict[str, list[str]] | None:
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


def allowed(agent: str, op: str, path: str, policy_dir: str | os.PathLike[str] | None = None) -> bool:
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
    for grant in grants:
        g = normalize(grant)
        if g is not None and (g == "/" or target == g or target.startswith(g.rstrip("/") + "/")):
            return True
    return False
