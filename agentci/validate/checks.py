"""The list of checks `validate` runs, one family per module; each takes a Context."""

from __future__ import annotations

from collections.abc import Callable

from agentci.findings import Finding, error
from agentci.source import PathEscape, resolve
from agentci.validate import (
    coverage,
    evals,
    injection,
    models,
    paths,
    permissions,
    prompt,
    secrets,
    size,
    swarm,
    tools,
)
from agentci.validate.context import Context
from agentci.validate.environments import check as check_environments


def duplicate_agents(ctx: Context) -> list[Finding]:
    return ctx.repo.duplicate_agents()


def config_paths(ctx: Context) -> list[Finding]:
    """agentci.yaml paths (agent globs, swarm, status_file) must stay inside the repo."""
    doc = ctx.repo.documents.get("agentci.yaml")
    if doc is None or not isinstance(doc.data, dict):
        return []
    out = []
    fields: list[tuple[tuple[str | int, ...], object]] = [
        (("swarm",), doc.data.get("swarm")),
        (("status_file",), doc.data.get("status_file")),
    ]
    agents = doc.data.get("agents")
    if isinstance(agents, list):
        fields += [(("agents", i), g) for i, g in enumerate(agents)]
    for key_path, value in fields:
        if not isinstance(value, str):
            continue
        try:
            resolve("", value)
        except PathEscape as exc:
            where = ".".join(str(k) for k in key_path)
            out.append(
                error(
                    "path-escape",
                    doc.path,
                    doc.line_of(key_path),
                    f"{where}: {exc}",
                    "use a path relative to the repository root, without `..`",
                )
            )
    return out


def knowledge_links(ctx: Context) -> list[Finding]:
    """Knowledge files that are symlinks leading outside the repo are never read: say so."""
    out = []
    for agent in ctx.repo.agents:
        for path in ctx.knowledge_files(agent):
            _, problems = ctx.read(path)
            out += [
                f
                for f in problems
                if f.rule in ("path-escape", "file-too-large", "unreadable-file")
            ]
    return out


Check = Callable[[Context], list[Finding]]

CHECKS: list[Check] = [
    duplicate_agents,
    config_paths,
    knowledge_links,
    prompt.check,
    size.check,
    tools.check,
    permissions.check,
    paths.check,
    swarm.check,
    evals.check,
    models.check,
    coverage.check,
    secrets.check,
    injection.check,
    check_environments,
]
