"""swarm.yaml: roles name real agents, and each role's directories line up with permissions."""

from __future__ import annotations

from typing import Any

from agentci.findings import Finding, error
from agentci.validate.context import Context
from agentci.validate.permissions import covers, path_problem


def check(ctx: Context) -> list[Finding]:
    doc = ctx.repo.swarm
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("roles"), list):
        return []
    roles: list[tuple[int, dict[str, Any]]] = [(i, r) for i, r in enumerate(doc.data["roles"]) if isinstance(r, dict)]
    role_names = {r["name"] for _, r in roles if isinstance(r.get("name"), str)}
    outputs = [r["output_dir"] for _, r in roles if isinstance(r.get("output_dir"), str)]
    agent_writes = [w for a in ctx.repo.agents for w in a.write]
    out: list[Finding] = []
    for i, role in roles:
        name = role["name"] if isinstance(role.get("name"), str) else f"#{i}"
        agent = ctx.repo.agent(role["agent"]) if isinstance(role.get("agent"), str) else None
        if isinstance(role.get("agent"), str) and agent is None:
            known = ", ".join(sorted(a.name for a in ctx.repo.agents)) or "none"
            out.append(error("swarm-unknown-agent", doc.path, doc.line_of(["roles", i, "agent"]),
                             f"role {name!r} names agent {role['agent']!r}, which does not exist",
                             f"use one of: {known}"))
        nexts = role["next"] if isinstance(role.get("next"), list) else []
        for j, nxt in enumerate(nexts):
            if isinstance(nxt, str) and nxt not in role_names:  # other types: the schema reports them
                out.append(error("swarm-unknown-role", doc.path, doc.line_of(["roles", i, "next", j]),
                                 f"role {name!r}: next role {nxt!r} does not exist", "fix the role name"))
        for key in ("input_dir", "output_dir"):
            value = role.get(key)
            if isinstance(value, str) and (problem := path_problem(value)):
                out.append(error("workspace-path", doc.path, doc.line_of(["roles", i, key]),
                                 f"roles[{i}].{key}: {problem}", "write an absolute workspace path without '..'"))
        input_dir = role.get("input_dir")
        if isinstance(input_dir, str) and input_dir.startswith("/"):
            line = doc.line_of(["roles", i, "input_dir"])
            if agent is not None and not any(covers(r, input_dir) for r in agent.read):
                out.append(error("swarm-input-unreadable", doc.path, line,
                                 f"role {name!r} reads {input_dir} but agent {agent.name!r} has no read permission for it",
                                 f"add {input_dir} to permissions.read in {agent.manifest}"))
            if not any(covers(o, input_dir) or covers(input_dir, o) for o in outputs) and not any(
                covers(w, input_dir) for w in agent_writes
            ):
                out.append(error("swarm-input-unwritten", doc.path, line,
                                 f"role {name!r} reads {input_dir} but no role outputs there and no agent may write it",
                                 "point another role's output_dir at it, or fix the directory"))
        output_dir = role.get("output_dir")
        if (isinstance(output_dir, str) and output_dir.startswith("/") and agent is not None
                and not any(covers(w, output_dir) for w in agent.write)):
            out.append(error("swarm-output-unwritable", doc.path, doc.line_of(["roles", i, "output_dir"]),
                             f"role {name!r} writes {output_dir} but agent {agent.name!r} has no write permission for it",
                             f"add {output_dir} to permissions.write in {agent.manifest}"))
    return out
