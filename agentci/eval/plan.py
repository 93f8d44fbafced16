"""Turn an agent (at head or at the base ref) into runnable jobs: provider, rendered prompt, tools.

Everything that can be wrong with one case (an undefined template variable, a set
that does not parse) becomes that job's error, so the run goes on and says why.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from agentci import trust
from agentci.assertion_types import JUDGED_TYPES
from agentci.config import ModelRef
from agentci.eval.cases import Case, EvalSet, load_set
from agentci.eval.providers import registry
from agentci.eval.providers.base import (
    Message,
    MissingKey,
    Provider,
    ProviderConfig,
    RefusedCredential,
    Request,
)
from agentci.eval.render import RenderError, render
from agentci.eval.runner import Job
from agentci.repo import Agent, Repo

LOCAL_MODEL = "smollm2-135m-instruct"


class Providers:
    """One provider instance (one pooled HTTP client) per provider, endpoint and key for the run.
    Each is made under the run's trust policy: an endpoint the trusted side does not name gets
    no key (a loopback one is still called, keyless; any other refuses to run)."""

    def __init__(
        self,
        *,
        timeout: float,
        pool: int,
        policy: trust.Policy | None = None,
        max_response_bytes: int | None = None,
    ) -> None:
        self.timeout = timeout
        self.pool = pool
        self.policy = policy or trust.Policy()
        self.max_response_bytes = max_response_bytes
        self._made: dict[tuple[str, str | None, str | None, str | None], Provider] = {}
        self._lock = threading.Lock()

    def get(
        self,
        name: str,
        base_url: str | None = None,
        api_key_env: str | None = None,
        api_version: str | None = None,
    ) -> Provider:
        key = (name, base_url, api_key_env, api_version)
        with self._lock:
            if key not in self._made:
                cls = registry.provider_class(name)
                refused = self.policy.refusal(
                    trust.Endpoint.of(name, base_url, api_key_env), default_key_env=cls.key_env
                )
                keyless = bool(refused) and trust.is_loopback(base_url or self.policy.env_url(name))
                options: dict[str, Any] = {
                    "max_connections": self.pool,
                    "max_response_bytes": self.max_response_bytes,
                }
                if api_version:
                    options["api_version"] = api_version
                config = ProviderConfig(
                    name,
                    base_url,
                    api_key_env,
                    self.timeout,
                    options,
                    refused=refused,
                    keyless=keyless,
                )
                self._made[key] = cls(config)
            return self._made[key]

    def refusals(self) -> list[dict[str, Any]]:
        """Every endpoint the run refused a key to, for the report."""
        return [
            {
                "provider": p.config.provider,
                "base_url": p.config.base_url,
                "api_key_env": p.config.api_key_env,
                "reason": p.config.refused,
                "keyless": p.config.keyless,
            }
            for p in self._made.values()
            if p.config.refused
        ]

    def notes(self) -> list[str]:
        return [n for p in self._made.values() for n in p.notes()]

    def close(self) -> None:
        for p in self._made.values():
            p.close()


@dataclass
class AgentPlan:
    agent: Agent
    side: str
    provider: str
    model: str
    sets: list[EvalSet] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    skipped: str | None = None


@dataclass(frozen=True)
class PlanOptions:
    provider: str | None = None  # --provider: every agent (and the judge) on this provider
    skip_missing_keys: bool = False
    judge: ModelRef | None = None
    embedding: ModelRef | None = None


def plan_agent(
    repo: Repo, agent: Agent, side: str, providers: Providers, opts: PlanOptions, select: Any = None
) -> AgentPlan:
    """`select(case) -> bool` keeps a subset (shards)."""
    spec = agent.model
    overridden = opts.provider is not None and opts.provider != spec.provider
    name = opts.provider if opts.provider else spec.provider
    model = LOCAL_MODEL if overridden and name == "local" else spec.name
    base_url = None if overridden else spec.base_url
    key_env = None if overridden else spec.api_key_env
    plan = AgentPlan(agent, side, name, model)
    plan.sets = [load_set(agent.name, repo.documents.get(p), p) for p in agent.evals]
    unusable = _eval_ref_errors(repo, agent)
    if unusable:  # `evals:` names a missing (or escaping) file: never a silent 0-case pass
        plan.sets.append(EvalSet(agent.manifest, error="; ".join(unusable)))
    cases = [(s, c) for s in plan.sets for c in s.cases if select is None or select(c)]

    provider = providers.get(name, base_url, key_env, None if overridden else spec.api_version)
    try:
        provider.api_key()
    except RefusedCredential as exc:
        plan.skipped = f"not evaluated: {exc.message}"
        return plan
    except MissingKey as exc:
        if not opts.skip_missing_keys:
            raise
        plan.skipped = f"{exc.message} (skipped: no key)"
        return plan

    prompt_text, prompt_error = _prompt(repo, agent)
    tools = _tools(repo, agent) if provider.supports_tools else ()
    judged = any(a.type in JUDGED_TYPES for _, c in cases for a in c.asserts)
    judge, judge_model = (None, None)
    if judged:
        judge, judge_model = _model_ref(providers, opts.judge, opts.provider, provider, model)
    embedder, embedding_model = None, None
    if any(a.type == "similar" for _, c in cases for a in c.asserts):
        embedder, embedding_model = _model_ref(
            providers, opts.embedding, opts.provider, provider, None
        )
    for role, helper in (("judge", judge), ("embedding model", embedder)):
        if (
            helper is not None
            and helper is not provider
            and helper.config.refused
            and not helper.config.keyless
        ):
            plan.skipped = f"not evaluated: the {role}: {helper.config.refused}"
            return plan
    knowledge = (
        _knowledge(repo, agent)
        if any(a.type == "faithfulness" for _, c in cases for a in c.asserts)
        else []
    )

    for s in plan.sets:
        if s.error:  # a broken set is one error result, so the gate cannot pass over it silently
            broken = Case(agent.name, s.path, "(eval set)", 0, "")
            if select is None or select(broken):
                plan.jobs.append(Job(broken, side, None, None, error=s.error))
    renders: dict[tuple[str, str, str], str] = {}  # one render per distinct prompt and vars
    for _, case in cases:
        job = Job(
            case,
            side,
            provider,
            None,
            context=knowledge,
            judge=judge,
            judge_model=judge_model,
            embedder=embedder,
            embedding_model=embedding_model,
        )
        if case.error:
            job.error = case.error
            plan.jobs.append(job)
            continue
        try:
            job.request = _request(
                case,
                agent,
                prompt_text,
                prompt_error,
                model,
                tools,
                own_model=name == "github" and not overridden,
                renders=renders,
            )
        except RenderError as exc:
            job.error = str(exc).replace("\n  hint: ", " (") + (")" if exc.hint else "")
        plan.jobs.append(job)
    return plan


def _request(
    case: Case,
    agent: Agent,
    prompt: str | None,
    prompt_error: str | None,
    model: str,
    tools: tuple[dict[str, Any], ...],
    own_model: bool = False,
    renders: dict[tuple[str, str, str], str] | None = None,
) -> Request:
    """`own_model`: a prompt file's `model` (a GitHub Models id) is used on GitHub Models.
    `renders` memoises rendered prompts across one agent's cases (2,000 Jinja renders of one
    prompt cost ~0.2 s): same template, same variables, same text, unless the template can
    draw random text (`random`, `lipsum`)."""
    template = case.system if case.system is not None else prompt
    if template is None and case.set_path == agent.manifest:  # a prompt file run on its own
        template = ""
    if template is None:
        raise RenderError(prompt_error or f"agent {agent.name!r} has no system prompt")
    path = case.set_path if case.system is not None else (agent.prompt or agent.manifest)
    variables = {**agent.variables, **case.vars}
    pure = "random" not in template and "lipsum" not in template
    memo = (template, path, repr(variables)) if renders is not None and pure else None
    system = renders.get(memo) if renders is not None and memo else None
    if system is None:
        system = render(template, variables, path=path)
        if renders is not None and memo:
            renders[memo] = system
    messages = (
        (Message("system", system), Message("user", case.input))
        if system.strip()
        else (Message("user", case.input),)
    )
    return Request(
        model=case.model if own_model and case.model else model,
        messages=messages,
        params={**agent.model.params, **case.params},
        tools=tools,
    )


def _prompt(repo: Repo, agent: Agent) -> tuple[str | None, str | None]:
    if agent.prompt is None:
        return (
            None,
            f"{agent.manifest}: agent {agent.name!r} has no readable prompt (run `agentci validate`)",
        )
    text = repo.read_text(agent.prompt)
    if text is None:
        return None, f"{agent.prompt}: cannot be read (run `agentci validate`)"
    return text, None


def _tools(repo: Repo, agent: Agent) -> tuple[dict[str, Any], ...]:
    doc = repo.documents.get(agent.tools) if agent.tools else None
    data = doc.data if doc else None
    if isinstance(data, dict):
        data = data.get("tools")
    return (
        tuple(t for t in data if isinstance(t, dict) and isinstance(t.get("name"), str))
        if isinstance(data, list)
        else ()
    )


def _knowledge(repo: Repo, agent: Agent) -> list[str]:
    texts = (repo.read_text(p) for p in agent.knowledge_files(repo.source))
    return [t for t in texts if t]


def _model_ref(
    providers: Providers,
    ref: ModelRef | None,
    override: str | None,
    fallback: Provider,
    fallback_model: str | None,
) -> tuple[Provider, str | None]:
    """The judge/embedder from agentci.yaml; --provider moves it too (fork PRs have no keys)."""
    if override and (ref is None or ref.provider != override):
        return providers.get(override), LOCAL_MODEL if override == "local" else (
            ref.name if ref else fallback_model
        )
    if ref is None:
        return fallback, fallback_model
    return providers.get(ref.provider, ref.base_url, ref.api_key_env), ref.name


def _eval_ref_errors(repo: Repo, agent: Agent) -> list[str]:
    """The manifest's errors about `agent.evals` (load_repo drops those paths from agent.evals)."""
    from agentci.findings import Severity

    doc = repo.documents.get(agent.manifest)
    return [
        f"{f.location}: {f.message}"
        for f in (doc.findings if doc else [])
        if f.severity == Severity.ERROR and f.message.startswith("agent.evals")
    ]
