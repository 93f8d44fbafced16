"""Least privilege over workspace paths: what each agent may read and write."""

from __future__ import annotations

import bisect
import fnmatch
import posixpath
from typing import Any

from agentci.documents import Document
from agentci.findings import Finding, error, warning
from agentci.repo import Agent
from agentci.validate.context import Context

WILDCARDS = "*?["
#: Deployed by agentci from git: an agent that may write here can rewrite its own instructions.
PROTECTED = {
    "/knowledge": "write-knowledge",
    "/agents": "write-config",
    "/.agentci": "write-config",
}


def normalise(path: str) -> str:
    norm = posixpath.normpath(path)
    return "/" if norm in ("/", "//") else norm


def covers(scope: str, path: str) -> bool:
    """True when access to `scope` includes `path` (the same path or one below it)."""
    scope, path = normalise(scope), normalise(path)
    if scope == "/":
        return True
    if any(c in scope for c in WILDCARDS):
        return fnmatch.fnmatchcase(path, scope) or fnmatch.fnmatchcase(path, scope + "/*")
    return path == scope or path.startswith(scope + "/")


def overlaps(a: str, b: str) -> bool:
    return covers(a, b) or covers(b, a)


def path_problem(value: str) -> str | None:
    """Why a workspace path is unsafe to act on, or None."""
    if not value.startswith("/"):
        return None  # the schema reports it (workspace paths are absolute)
    if ".." in value.split("/"):
        return f"{value!r} contains '..'"
    if "\\" in value or "\x00" in value:
        return f"{value!r} contains a backslash or NUL"
    return None


class _Memories:
    """memory_path by agent, indexed so each write scope is checked in O(log n), not against every agent."""

    def __init__(self, by_agent: dict[str, str]) -> None:
        self.items = sorted((normalise(p), name) for name, p in by_agent.items())
        self.paths = [p for p, _ in self.items]
        self.by_path: dict[str, list[str]] = {}
        for p, name in self.items:
            self.by_path.setdefault(p, []).append(name)

    def overlapping(self, scope: str) -> list[tuple[str, str]]:
        """(agent, memory_path) for every memory the scope covers or that covers the scope."""
        if any(c in scope for c in WILDCARDS):
            return [(n, p) for p, n in self.items if overlaps(scope, p)]
        scope = normalise(scope)
        found = [(n, scope) for n in self.by_path.get(scope, [])]
        # memories below the scope: a contiguous run of the sorted paths
        prefix = scope.rstrip("/") + "/"
        for p, name in self.items[bisect.bisect_left(self.paths, prefix) :]:
            if not p.startswith(prefix):
                break
            found.append((name, p))
        # memories that are directories above the scope
        parent = posixpath.dirname(scope)
        while parent and parent != "/":
            found += [(n, parent) for n in self.by_path.get(parent, [])]
            parent = posixpath.dirname(parent)
        return sorted(set(found))


def memory_index(agents: list[Agent]) -> _Memories:
    return _Memories({a.name: a.memory_path for a in agents if a.memory_path})


def _line(doc: Document, kind: str, i: int) -> int:
    return doc.line_of(["agent", "permissions", kind, i])


def _dotted(key_path: list[str | int]) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in key_path).lstrip(".")


def _spec(doc: Document) -> dict[str, Any]:
    spec = doc.data.get("agent") if isinstance(doc.data, dict) else None
    return spec if isinstance(spec, dict) else {}


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    memories = memory_index(ctx.repo.agents)
    for agent in ctx.repo.agents:
        doc = ctx.repo.documents[agent.manifest]
        out += _paths(agent, doc)
        out += _writes(agent, doc, memories)
        out += _reads(agent, doc)
    return out


def _paths(agent: Agent, doc: Document) -> list[Finding]:
    spec = _spec(doc)
    fields: list[tuple[list[str | int], Any]] = [
        (["agent", "memory_path"], spec.get("memory_path"))
    ]
    lock = spec.get("lock")
    if isinstance(lock, dict):
        fields.append((["agent", "lock", "path"], lock.get("path")))
    for kind in ("read", "write"):
        for i, p in enumerate(getattr(agent, kind)):
            fields.append((["agent", "permissions", kind, i], p))
    out = []
    for key_path, value in fields:
        if isinstance(value, str) and (problem := path_problem(value)):
            out.append(
                error(
                    "workspace-path",
                    agent.manifest,
                    doc.line_of(key_path),
                    f"{_dotted(key_path)}: {problem}",
                    "write an absolute workspace path without '..'",
                )
            )
    return out


def write_problems(agent: str, scope: str, memories: _Memories) -> list[tuple[str, str, str]]:
    """(rule, message, hint) for each least-privilege error in letting `agent` write `scope`.

    Shared by manifest permissions and by what swarm roles grant (agentci.validate.swarm)."""
    if normalise(scope) == "/":
        return [
            (
                "write-root",
                f"agent {agent!r} may write the whole workspace ('/')",
                "grant write access to the directories it produces, e.g. /drafts",
            )
        ]
    out = []
    for protected, rule_id in PROTECTED.items():
        if overlaps(scope, protected):
            out.append(
                (
                    rule_id,
                    f"agent {agent!r} may write {scope!r}, which covers {protected} (deployed from git)",
                    "agents must not rewrite what agentci deploys; give it its own output directory",
                )
            )
    for other, memory in memories.overlapping(scope):
        if other != agent:
            out.append(
                (
                    "write-other-memory",
                    f"agent {agent!r} may write {scope!r}, which covers agent {other!r}'s memory {memory}",
                    "narrow the write scope so it excludes other agents' memory",
                )
            )
    return out


def _writes(agent: Agent, doc: Document, memories: _Memories) -> list[Finding]:
    kind = "write"
    out = []
    for i, scope in enumerate(agent.write):
        if not scope.startswith("/"):
            continue
        out += [
            error(rule_id, agent.manifest, _line(doc, kind, i), message, hint)
            for rule_id, message, hint in write_problems(agent.name, scope, memories)
        ]
        if normalise(scope) == "/":
            continue
        if any(c in scope for c in WILDCARDS):
            out.append(
                warning(
                    "wildcard-scope",
                    agent.manifest,
                    _line(doc, kind, i),
                    f"write scope {scope!r} uses a wildcard",
                    "list the directories explicitly",
                )
            )
        for read in agent.read:
            if normalise(read) != "/" and covers(read, scope):  # reading "/" already warns
                out.append(
                    warning(
                        "read-write-overlap",
                        agent.manifest,
                        _line(doc, kind, i),
                        f"agent {agent.name!r} may both read and write {scope!r} (read scope {read!r})",
                        "keep inputs and outputs in separate directories",
                    )
                )
                break
    return out


def _reads(agent: Agent, doc: Document) -> list[Finding]:
    kind = "read"
    out = []
    for i, scope in enumerate(agent.read):
        if not scope.startswith("/"):
            continue
        if normalise(scope) == "/":
            out.append(
                warning(
                    "wildcard-scope",
                    agent.manifest,
                    _line(doc, kind, i),
                    f"agent {agent.name!r} may read the whole workspace ('/'), including other agents' memory",
                    "list the directories it needs",
                )
            )
        elif any(c in scope for c in WILDCARDS):
            out.append(
                warning(
                    "wildcard-scope",
                    agent.manifest,
                    _line(doc, kind, i),
                    f"read scope {scope!r} uses a wildcard",
                    "list the directories explicitly",
                )
            )
    return out
