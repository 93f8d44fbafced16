"""swarm.yaml: roles name real agents, and each role's directories line up with permissions.

Both forms are read through agentci.swarm. In agentci's `roles:` form the agent's own
permissions must cover the role's directories. In the seed `swarm:` form deploy grants
them, so what a role grants is held to the same least-privilege rules as `permissions`
(a role writing /knowledge is an error, as a manifest writing it is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentci.documents import Document
from agentci.findings import Finding, error, warning
from agentci.repo import Agent
from agentci.swarm import Role, roles
from agentci.validate.context import Context
from agentci.validate.permissions import (
    covers,
    memory_index,
    normalise,
    path_problem,
    write_problems,
)

if TYPE_CHECKING:
    from agentci.validate.permissions import _Memories


def check(ctx: Context) -> list[Finding]:
    doc = ctx.repo.swarm
    if doc is None or not isinstance(doc.data, dict):
        return []
    out: list[Finding] = []
    if "roles" in doc.data and "swarm" in doc.data:
        out.append(
            error(
                "schema",
                doc.path,
                doc.line_of(["swarm"]),
                "swarm.yaml has both `roles:` and `swarm:`; use one form",
                "keep `swarm: [{role, input_dir, output_dir}]` or `roles: [{name, agent, ...}]`",
            )
        )
    all_roles = roles(doc)
    role_names = {r.name for r in all_roles}
    outputs = [r.output_dir for r in all_roles if r.output_dir]
    agent_writes = [w for a in ctx.repo.agents for w in a.write]
    memories = memory_index(ctx.repo.agents)
    for role in all_roles:
        agent = ctx.repo.agent(role.agent) if role.agent else None
        if role.agent and agent is None:
            known = ", ".join(sorted(a.name for a in ctx.repo.agents)) or "none"
            what = (
                f"role {role.name!r} is the agent of that name"
                if role.grants
                else f"role {role.name!r} names agent {role.agent!r}"
            )
            out.append(
                error(
                    "swarm-unknown-agent",
                    doc.path,
                    doc.line_of([*role.key, "role" if role.grants else "agent"]),
                    f"{what}, which does not exist",
                    f"use one of: {known}",
                )
            )
        for j, nxt in enumerate(role.next):
            if (
                isinstance(nxt, str) and nxt not in role_names
            ):  # other types: the schema reports them
                out.append(
                    error(
                        "swarm-unknown-role",
                        doc.path,
                        doc.line_of([*role.key, "next", j]),
                        f"role {role.name!r}: next role {nxt!r} does not exist",
                        "fix the role name",
                    )
                )
        for key in ("input_dir", "output_dir"):
            value = getattr(role, key)
            if value is not None and (problem := path_problem(value)):
                out.append(
                    error(
                        "workspace-path",
                        doc.path,
                        doc.line_of([*role.key, key]),
                        f"{role.key[0]}[{role.key[1]}].{key}: {problem}",
                        "write an absolute workspace path without '..'",
                    )
                )
        out += _input(doc, role, agent, outputs, agent_writes)
        if role.grants:
            out += _granted(doc, role, memories)
        elif (
            role.output_dir
            and role.output_dir.startswith("/")
            and agent is not None
            and not any(covers(w, role.output_dir) for w in agent.write)
        ):
            out.append(
                error(
                    "swarm-output-unwritable",
                    doc.path,
                    doc.line_of([*role.key, "output_dir"]),
                    f"role {role.name!r} writes {role.output_dir} but agent {agent.name!r} has no write "
                    "permission for it",
                    f"add {role.output_dir} to permissions.write in {agent.manifest}",
                )
            )
    return out


def _input(
    doc: Document, role: Role, agent: Agent | None, outputs: list[str], agent_writes: list[str]
) -> list[Finding]:
    input_dir = role.input_dir
    if not input_dir or not input_dir.startswith("/"):
        return []
    line = doc.line_of([*role.key, "input_dir"])
    out: list[Finding] = []
    if not role.grants and agent is not None and not any(covers(r, input_dir) for r in agent.read):
        out.append(
            error(
                "swarm-input-unreadable",
                doc.path,
                line,
                f"role {role.name!r} reads {input_dir} but agent {agent.name!r} has no read permission for it",
                f"add {input_dir} to permissions.read in {agent.manifest}",
            )
        )
    if not any(covers(o, input_dir) or covers(input_dir, o) for o in outputs) and not any(
        covers(w, input_dir) for w in agent_writes
    ):
        out.append(
            error(
                "swarm-input-unwritten",
                doc.path,
                line,
                f"role {role.name!r} reads {input_dir} but no role outputs there and no agent may write it",
                "point another role's output_dir at it, or fix the directory",
            )
        )
    if role.grants and normalise(input_dir) == "/":
        out.append(
            warning(
                "wildcard-scope",
                doc.path,
                line,
                f"role {role.name!r} is granted read on the whole workspace ('/'), "
                "including other agents' memory",
                "name the directory it reads",
            )
        )
    return out


def _granted(doc: Document, role: Role, memories: _Memories) -> list[Finding]:
    """What deploy grants a seed-form role is held to the manifest's least-privilege rules."""
    if not role.output_dir or not role.output_dir.startswith("/") or path_problem(role.output_dir):
        return []
    line = doc.line_of([*role.key, "output_dir"])
    return [
        error(rule_id, doc.path, line, f"swarm role {role.name!r}: {message}", hint)
        for rule_id, message, hint in write_problems(
            role.agent or role.name, role.output_dir, memories
        )
    ]
