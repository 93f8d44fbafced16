"""Desired state: what a commit says the workspace should hold.

Per agent, the area `agents/<name>` holds `system_prompt.md` (rendered with the
manifest's variables, StrictUndefined), `agent.yaml` (as committed) and `tools.json`.
Knowledge files go to the `knowledge` area (a repo path `knowledge/x.md` is live at
`knowledge/x.md`; one outside `knowledge/` keeps its repo path below `knowledge/`).
Access policies derived from `permissions:` and swarm roles go to `.agentci/policies`.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentci import git
from agentci.config import Config
from agentci.deploy.backends.base import AreaRef
from agentci.errors import AgentciError
from agentci.findings import Severity
from agentci.repo import Agent, Repo, load_repo
from agentci.source import GitTree, PathEscape, Source, WorkTree
from agentci.swarm import roles as swarm_roles

KNOWLEDGE = AreaRef("knowledge", "knowledge")
POLICIES = AreaRef("policies", ".agentci/policies")


def agent_area(name: str) -> AreaRef:
    return AreaRef(f"agents/{name}", f"agents/{name}")


@dataclass
class Area:
    ref: AreaRef
    files: dict[str, bytes] = field(default_factory=dict)

    def hashes(self, algo: str) -> dict[str, str]:
        return {p: hashlib.new(algo, d).hexdigest() for p, d in self.files.items()}

    def release_id(self, algo: str) -> str:
        """Content address: the same files give the same release, so a rollback reuses it."""
        h = hashlib.sha256()
        for path, digest in sorted(self.hashes(algo).items()):
            h.update(f"{path}\0{digest}\n".encode())
        return h.hexdigest()[:16]


@dataclass
class DesiredAgent:
    agent: Agent
    area: Area
    knowledge: list[str]  # workspace paths below knowledge/

    @property
    def name(self) -> str:
        return self.agent.name


@dataclass
class Desired:
    root: Path
    commit: str | None
    label: str
    config: Config
    repo: Repo
    agents: dict[str, DesiredAgent]
    knowledge: Area
    policies: Area
    environment: str = "production"

    def areas(self) -> list[Area]:
        """In sync-wave order: knowledge and policies before the agents that use them."""
        return [self.knowledge, self.policies, *(a.area for a in self.agents.values())]


def workspace_path(path: str) -> str:
    """`/memory/x.json` (as written in agent.yaml) -> `memory/x.json` inside the workspace."""
    return posixpath.normpath("/" + path).lstrip("/")


def knowledge_path(repo_path: str) -> str:
    return repo_path[len("knowledge/") :] if repo_path.startswith("knowledge/") else repo_path


def open_source(root: Path, ref: str | None) -> tuple[Source, str | None]:
    """`--ref` (or HEAD when the repo is a git repo) read from git; otherwise the work tree."""
    if ref is None:
        if git.run(root, "rev-parse", "--verify", "HEAD").returncode != 0:
            return WorkTree(root), None
        ref = "HEAD"
    tree = GitTree(root, ref)
    return tree, tree.commit()


def load_desired(
    root: Path, ref: str | None = None, environment: str | None = None, *, check: bool = True
) -> Desired:
    """What `ref` says environment `environment` should hold: its config's `workspace` is the
    environment's, and the environment's variables are merged over every agent's. With `check`
    (deploy), a commit `agentci validate` reports errors for is refused with the same findings;
    without it (diff, status) only a commit that cannot be loaded at all is."""
    source, commit = open_source(root, ref)
    try:
        return _load(root, source, commit, environment, check)
    except PathEscape as exc:  # a file swapped for a symlink mid-read: nothing was deployed
        raise AgentciError(
            f"deploy refused: {exc}",
            hint="deploy a commit (--ref) or a work tree nobody is changing; nothing was changed",
            exit_code=1,
        ) from None
    finally:
        if isinstance(source, GitTree):
            source.close()


def _load(
    root: Path,
    source: Source,
    commit: str | None,
    environment: str | None = None,
    check: bool = True,
) -> Desired:
    repo = load_repo(source)
    env = repo.config.environment(environment)
    if check:
        from agentci.validate import validate

        findings = validate(repo)  # one gate: the same findings validate prints, `ignore:` honoured
    else:
        findings = repo.findings + repo.duplicate_agents()  # what deploy cannot do without
    errors = [f for f in findings if f.severity == Severity.ERROR]
    if errors:
        lines = "\n".join(
            f"  {f.location}: {f.message} [{f.rule}]" + (f"\n    fix: {f.hint}" if f.hint else "")
            for f in errors[:10]
        )
        more = f"\n  … and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise AgentciError(
            f"deploy refused: {source.label}: `agentci validate` reports {len(errors)} error(s); "
            f"nothing was changed:\n{lines}{more}",
            hint="run `agentci validate` and fix them (or list a rule under `ignore:` in agentci.yaml), "
            "then deploy again",
            exit_code=1 if check else None,  # diff: 1 means drift, so a repo it cannot read is 2
        )
    agents: dict[str, DesiredAgent] = {}
    knowledge = Area(KNOWLEDGE)
    for agent in repo.agents:
        area = Area(agent_area(agent.name))
        area.files["agent.yaml"] = source.read_bytes(agent.manifest)
        if agent.prompt:
            area.files["system_prompt.md"] = render_prompt(
                source, agent, agent.prompt, env.variables
            ).encode("utf-8")
        if agent.tools:
            area.files["tools.json"] = source.read_bytes(agent.tools)
        paths = []
        for f in agent.knowledge_files(source):
            kp = knowledge_path(f)
            knowledge.files[kp] = source.read_bytes(f)
            paths.append(kp)
        agents[agent.name] = DesiredAgent(agent, area, paths)
    policies = Area(POLICIES, {f"{name}.json": policy_json(d, repo) for name, d in agents.items()})
    config = repo.config.for_environment(env.name)
    return Desired(root, commit, source.label, config, repo, agents, knowledge, policies, env.name)


def render_prompt(
    source: Source, agent: Agent, path: str, overrides: dict[str, Any] | None = None
) -> str:
    """The live prompt: the same sandboxed, StrictUndefined rendering the evals used, with the
    environment's variables (`overrides`) over the agent's."""
    from agentci.eval.render import render

    text = source.read_bytes(path).decode("utf-8", "replace")
    out = render(text, {**agent.variables, **(overrides or {})}, path=path)
    # Jinja drops one trailing newline; the deployed file keeps the source's ending.
    return out + "\n" if text.endswith("\n") else out


def policy(d: DesiredAgent, repo: Repo) -> dict[str, Any]:
    a = d.agent
    read = [*list(a.read), f"/agents/{a.name}", *sorted({"/knowledge/" + k for k in d.knowledge})]
    write = list(a.write)
    if a.memory_path:
        read.append("/" + workspace_path(a.memory_path))
        write.append("/" + workspace_path(a.memory_path))
    # The agent may take its own busy lock (agentci mcp's acquire_lock) where deploy looks for it.
    if a.lock:
        write.append("/" + workspace_path(a.lock.path))
    roles = []
    for role in swarm_roles(repo.swarm):  # both forms; in the seed form this is the grant
        if role.agent == a.name:
            roles.append(role.name)
            if role.input_dir:
                read.append(role.input_dir)
            if role.output_dir:
                write.append(role.output_dir)
    norm = lambda xs: sorted({"/" + workspace_path(x) for x in xs})  # noqa: E731
    memory = "/" + workspace_path(a.memory_path) if a.memory_path else None
    return {
        "agent": a.name,
        "roles": roles,
        "read": norm(read),
        "write": norm(write),
        "memory": memory,
    }


def policy_json(d: DesiredAgent, repo: Repo) -> bytes:
    return (json.dumps(policy(d, repo), indent=2, sort_keys=True) + "\n").encode()
