"""The repo model: discover agents from agentci.yaml globs and load every file they name.

`load_repo(source)` reads a work tree or a git commit (see agentci.source) and returns
a `Repo`: the config, one `Agent` record per manifest, every parsed document by path
(with line numbers), and the findings loading produced. It never raises on bad input.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agentci import schema
from agentci.config import CONFIG_FILE, Config, from_data
from agentci.documents import Document, load_document, load_jsonl, read_text
from agentci.findings import Finding, error, sort_key, warning
from agentci.source import PathEscape, Source, files_under, glob, resolve

EVAL_SUFFIXES = (".yaml", ".yml", ".jsonl", ".json")
DEFAULT_EVAL_GLOBS = ["evals/*.yaml", "evals/*.yml", "evals/*.jsonl"]
T = TypeVar("T")
DEFAULT_PROMPTS = ["system_prompt.md", "prompts/system.md"]


@dataclass(frozen=True)
class ModelSpec:
    provider: str = "local"
    name: str = "smollm2-135m-instruct"
    params: dict[str, Any] = field(default_factory=dict)  # temperature, max_tokens, top_p, seed
    base_url: str | None = None
    api_key_env: str | None = None
    context_window: int | None = None
    api_version: str | None = None  # Azure OpenAI's classic `?api-version=`


@dataclass(frozen=True)
class LockSpec:
    path: str
    on_busy: str = "wait"  # wait | fail | pause
    timeout: float = 300.0


@dataclass(frozen=True, eq=False)
class Agent:
    name: str
    manifest: str  # repo-relative path of agent.yaml
    dir: str  # directory of the manifest ("" for the repo root)
    description: str = ""
    model: ModelSpec = ModelSpec()
    prompt: str | None = None  # repo-relative; None when missing or escaping
    variables: dict[str, Any] = field(default_factory=dict)
    tools: str | None = None
    capabilities: list[str] = field(default_factory=list)
    knowledge: list[str] = field(default_factory=list)  # repo-relative files or directories
    memory_path: str | None = None
    read: list[str] = field(default_factory=list)  # workspace paths, absolute ("/knowledge")
    write: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    evals: list[str] = field(default_factory=list)  # repo-relative eval set files
    smoke: dict[str, Any] | None = None
    lock: LockSpec | None = None

    def files(self, source: Source) -> list[str]:
        """Every repo file this agent's behaviour depends on (for change detection and deploy)."""
        out = {self.manifest}
        out.update(p for p in (self.prompt, self.tools) if p)
        out.update(self.evals)
        for k in self.knowledge:
            out.update(files_under(source, k))
        return sorted(out)

    def knowledge_files(self, source: Source) -> list[str]:
        return sorted({f for k in self.knowledge for f in files_under(source, k)})


@dataclass
class Repo:
    source: Source
    config: Config
    agents: list[Agent] = field(default_factory=list)
    documents: dict[str, Document] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    swarm: Document | None = None

    def agent(self, name: str) -> Agent | None:
        return next((a for a in self.agents if a.name == name), None)

    def duplicate_agents(self) -> list[Finding]:
        """An error for each manifest whose agent name an earlier manifest already took (the
        one check: validate reports these, deploy refuses a repo that has any)."""
        seen: dict[str, str] = {}
        out = []
        for agent in self.agents:
            if agent.name not in seen:
                seen[agent.name] = agent.manifest
                continue
            doc = self.documents.get(agent.manifest)
            out.append(
                error(
                    "duplicate-agent",
                    agent.manifest,
                    doc.line_of(["agent", "name"]) if doc else 0,
                    f"agent name {agent.name!r} is already used by {seen[agent.name]}",
                    "give every agent a unique name",
                )
            )
        return out

    def read_text(self, path: str) -> str | None:
        text, _ = read_text(self.source, path)
        return text


def guess_provider(model: str) -> str:
    low = model.lower()
    if low.startswith("claude"):
        return "anthropic"
    if low in {"local", "smollm2", "smollm2-135m-instruct"}:
        return "local"
    return "openai"


def load_repo(source: Source, *, eval_sets: bool = True) -> Repo:
    """`eval_sets=False` parses manifests, prompts' paths and tools but not the golden sets
    (a PR's base: `load_eval_sets` reads them for the few agents that are compared)."""
    config_doc = None
    if source.size(CONFIG_FILE) is not None:
        config_doc = load_document(source, CONFIG_FILE)
        config_doc.findings += schema.check(config_doc, "config")
    repo = Repo(source, from_data(config_doc.data if config_doc else None))
    if config_doc:
        repo.documents[CONFIG_FILE] = config_doc

    manifests: list[str] = []
    for pattern in repo.config.agents:
        for path in glob(source, pattern):
            if path not in manifests:
                manifests.append(path)
    for path in manifests:
        agent = _load_agent(repo, path, eval_sets)
        if agent:
            repo.agents.append(agent)

    if source.size(repo.config.swarm) is not None:
        repo.swarm = load_document(source, repo.config.swarm)
        repo.swarm.findings += schema.check(repo.swarm, "swarm")
        repo.documents[repo.swarm.path] = repo.swarm

    for doc in repo.documents.values():
        repo.findings += doc.findings
    repo.findings.sort(key=sort_key)
    from agentci import redact

    redact.learn_repo(repo)  # the credentials it names are redacted (and masked) from here on
    return repo


def load_eval_sets(repo: Repo, agent: Agent) -> None:
    """Parse the agent's golden sets into `repo.documents` (no-op for those already there)."""
    new = [p for p in agent.evals if p not in repo.documents]
    for path in new:
        _load_eval_set(repo, path)
    if new:
        from types import SimpleNamespace

        from agentci import redact

        # the credentials these sets name, as load_repo learns them for the rest
        redact.learn_repo(SimpleNamespace(documents={p: repo.documents[p] for p in new}))


def _load_agent(repo: Repo, manifest: str, eval_sets: bool = True) -> Agent | None:
    source = repo.source
    doc = load_document(source, manifest)
    doc.findings += schema.check(doc, "agent")
    repo.documents[manifest] = doc
    spec = doc.data.get("agent") if isinstance(doc.data, dict) else None
    if not isinstance(spec, dict):
        return None
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        return None
    base = posixpath.dirname(manifest)

    def ref(key: str, value: Any, *keys: str | int) -> str | None:
        """Resolve one path field; report escapes and missing files on its line."""
        if not isinstance(value, str):
            return None
        try:
            path = resolve(base, value)
        except PathEscape as exc:
            doc.findings.append(
                error(
                    "path-escape",
                    manifest,
                    doc.line_of(["agent", key, *keys]),
                    f"agent.{key}: {exc}",
                    "use a path inside the repository",
                )
            )
            return None
        escapes = getattr(source, "escapes", None)
        if escapes is not None and escapes(path):
            doc.findings.append(
                error(
                    "path-escape",
                    manifest,
                    doc.line_of(["agent", key, *keys]),
                    f"agent.{key}: {value!r} is a symlink that leads outside the repository",
                    "use a path inside the repository; symlinks out of it are never followed",
                )
            )
            return None
        if source.size(path) is None and not source.is_dir(path):
            doc.findings.append(
                error(
                    "missing-file",
                    manifest,
                    doc.line_of(["agent", key, *keys]),
                    f"agent.{key}: {value!r} does not exist",
                    f"create {path} or fix the path",
                )
            )
            return None
        return path

    prompt_value = spec.get("prompt")
    if prompt_value is None:
        prompt = next(
            (p for p in (resolve(base, d) for d in DEFAULT_PROMPTS) if source.size(p) is not None),
            None,
        )
        if prompt is None:
            doc.findings.append(
                error(
                    "missing-file",
                    manifest,
                    doc.line_of(["agent"]),
                    f"agent {name!r} has no prompt",
                    f"add `prompt:` or create {posixpath.join(base, 'system_prompt.md')}",
                )
            )
    else:
        prompt = ref("prompt", prompt_value)

    tools = ref("tools", spec.get("tools")) if "tools" in spec else None
    knowledge = [
        p
        for i, k in enumerate(_list(spec.get("knowledge")))
        if isinstance(k, str) and (p := _knowledge_ref(source, doc, base, k, i))
    ]
    evals: list[str] = []
    if "evals" in spec:
        for i, pattern in enumerate(_list(spec.get("evals"))):
            if not isinstance(pattern, str):
                continue
            if any(c in pattern for c in "*?["):
                try:
                    full = resolve(base, pattern)
                except PathEscape as exc:
                    doc.findings.append(
                        error(
                            "path-escape",
                            manifest,
                            doc.line_of(["agent", "evals", i]),
                            f"agent.evals: {exc}",
                        )
                    )
                    continue
                evals += [p for p in glob(source, full) if p not in evals]
            elif (p := ref("evals", pattern, i)) and p not in evals:
                evals += (
                    [f for f in files_under(source, p) if f.endswith(EVAL_SUFFIXES)]
                    if source.is_dir(p)
                    else [p]
                )
    else:
        for pattern in DEFAULT_EVAL_GLOBS:
            evals += [p for p in glob(source, resolve(base, pattern)) if p not in evals]
    for path in evals if eval_sets else ():
        _load_eval_set(repo, path)

    if tools:
        tools_doc = load_document(source, tools)
        tools_doc.findings += schema.check(tools_doc, "tools")
        repo.documents[tools] = tools_doc

    perms = _of(dict, spec.get("permissions")) or {}
    return Agent(
        name=name,
        manifest=manifest,
        dir=base,
        description=_of(str, spec.get("description")) or "",
        model=_model(spec.get("model")),
        prompt=prompt,
        variables=_of(dict, spec.get("variables")) or {},
        tools=tools,
        capabilities=[c for c in _list(spec.get("capabilities")) if isinstance(c, str)],
        knowledge=knowledge,
        memory_path=_of(str, spec.get("memory_path")),
        read=[p for p in _list(perms.get("read")) if isinstance(p, str)],
        write=[p for p in _list(perms.get("write")) if isinstance(p, str)],
        secrets=[s for s in _list(spec.get("secrets")) if isinstance(s, str)],
        evals=evals,
        smoke=_of(dict, spec.get("smoke")),
        lock=_lock(spec.get("lock")),
    )


def _knowledge_ref(source: Source, doc: Document, base: str, value: str, i: int) -> str | None:
    """A knowledge path: relative to the manifest when that exists, else to the repo root.

    A root-relative path is the common form (`knowledge: [knowledge/support]` in
    agents/support-bot/agent.yaml); the scaffold writes `../../knowledge/assistant` (manifest-relative). Both are accepted.
    """
    line = doc.line_of(["agent", "knowledge", i])
    escapes = getattr(source, "escapes", None)
    problems: list[str] = []

    def inside(where: str) -> str | None:
        try:
            path = resolve(where, value)
        except PathEscape as exc:
            problems.append(str(exc))
            return None
        if escapes is not None and escapes(path):
            problems.append(f"{value!r} is a symlink that leads outside the repository")
            return None
        return path

    near, top = inside(base), inside("")
    exists = [
        p
        for p in dict.fromkeys((near, top))
        if p is not None and (source.size(p) is not None or source.is_dir(p))
    ]
    if len(exists) == 2:
        doc.findings.append(
            warning(
                "knowledge-ambiguous",
                doc.path,
                line,
                f"agent.knowledge: {value!r} exists both next to the manifest ({near}) and at the "
                f"repository root ({top}); using {near}",
                f"write {posixpath.relpath(top or '.', base or '.')!r} to use the root's copy, or rename one of them",
            )
        )
    if exists:
        return exists[0]
    if problems and near is None:  # the place the manifest names leaves the repo: say that
        doc.findings.append(
            error(
                "path-escape",
                doc.path,
                line,
                f"agent.knowledge: {problems[0]}",
                "use a path inside the repository",
            )
        )
        return None
    where = [f"{near} (next to the manifest)"] if near is not None else []
    if top is not None and top != near:
        where.append(f"{top} (from the repository root)")
    doc.findings.append(
        error(
            "missing-file",
            doc.path,
            line,
            f"agent.knowledge: {value!r} "
            + (
                "exists neither at " + " nor at ".join(where)
                if len(where) > 1
                else f"does not exist at {where[0]}"
            ),
            "create it, or fix the path (relative to the manifest or to the repository root)",
        )
    )
    return None


def _load_eval_set(repo: Repo, path: str) -> None:
    if path in repo.documents:
        return
    if path.endswith(".jsonl"):
        doc = load_jsonl(repo.source, path)
    else:
        doc = load_document(repo.source, path)
    # GitHub Models files have their own shape; the eval engine maps them.
    if not path.endswith((".prompt.yml", ".prompt.yaml")):
        doc.findings += schema.check(doc, "eval-set")
    repo.documents[path] = doc


def _model(value: Any) -> ModelSpec:
    if isinstance(value, str) and value:
        return ModelSpec(provider=guess_provider(value), name=value)
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return ModelSpec()
    params = {k: value[k] for k in ("temperature", "max_tokens", "top_p", "seed") if k in value}
    return ModelSpec(
        provider=_of(str, value.get("provider")) or guess_provider(value["name"]),
        name=value["name"],
        params=params,
        base_url=_of(str, value.get("base_url")),
        api_key_env=_of(str, value.get("api_key_env")),
        context_window=_of(int, value.get("context_window")),
        api_version=_of(str, value.get("api_version")),
    )


def _lock(value: Any) -> LockSpec | None:
    if not isinstance(value, dict) or not isinstance(value.get("path"), str):
        return None
    on_busy = value["on_busy"] if value.get("on_busy") in ("wait", "fail", "pause") else "wait"
    timeout = value.get("timeout")
    return LockSpec(
        value["path"], on_busy, float(timeout) if isinstance(timeout, (int, float)) else 300.0
    )


def _of(kind: type[T], value: Any) -> T | None:
    """`value` when it has the type the schema asks for, else None (schema findings say why)."""
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
