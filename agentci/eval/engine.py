"""One eval run: discover agents, plan head (and base) jobs, run them in one pool, build results.

The library entry point behind `agentci eval`; tests and the benchmark call `evaluate`.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentci import trust
from agentci.errors import AgentciError, UsageError
from agentci.eval import baseline, cost, gates, prompt_file, results
from agentci.eval.cache import Cache, default_dir
from agentci.eval.cases import load_set
from agentci.eval.plan import AgentPlan, PlanOptions, Providers, plan_agent
from agentci.eval.progress import Progress
from agentci.eval.records import AgentResult, BaseRef, Refusal, RunResults, Trust
from agentci.eval.runner import CaseResult, Job, Runner
from agentci.eval.shard import Shard
from agentci.repo import Agent, Repo, load_eval_sets, load_repo
from agentci.source import WorkTree


@dataclass
class EvalOptions:
    root: Path = Path(".")
    agents: list[str] = field(default_factory=list)
    base: str | None = None
    provider: str | None = None
    concurrency: int | None = None
    no_cache: bool = False
    shard: Shard | None = None
    min_pass_rate: float | None = None
    max_regressions: int | None = None
    changed_only: bool = False
    skip_missing_keys: bool = False
    progress: bool = True
    backoff_base: float = 0.5
    #: the config under evaluation may decide where keys go (a local run, merged code); with
    #: --base the base commit decides whatever this says (SECURITY.md)
    head_trusted: bool = True
    deadline: float | None = None  # seconds for the whole run (--deadline)
    #: the repo already loaded by the caller (a flow loads it once per process)
    repo: Repo | None = None
    #: how `base` is opened (a flow opens each base once per process); default: open_base
    open_base: Callable[[Path, str], baseline.Base] | None = None
    #: work for a thread while the first answers are awaited (`Runner.while_waiting`)
    while_waiting: Callable[[], None] | None = None


def evaluate(opts: EvalOptions) -> RunResults:
    from agentci import cachedb

    # The parse cache is on for an eval (off with --no-cache) and back as it was afterwards:
    # validate and deploy in the same process write nothing outside the repository.
    previous = cachedb.enabled()
    cachedb.set_enabled(not opts.no_cache)
    try:
        return _evaluate(opts)
    finally:
        cachedb.set_enabled(previous)


def _evaluate(opts: EvalOptions) -> RunResults:
    started = time.monotonic()
    from agentci import bounds

    bounds.set_run_deadline(opts.deadline)
    root = Path(opts.root).resolve()
    if prompt_file.is_prompt_file(root):  # `agentci eval x.prompt.yml`, as `gh models eval` runs it
        if opts.base or opts.agents:
            raise UsageError(
                "a prompt file is evaluated on its own: no --base or --agent",
                hint="evaluate the repository (agentci eval .) to compare with a base ref",
            )
        root, repo, single = prompt_file.load(root)
        agents = [single]
    elif not root.is_dir():
        raise UsageError(
            f"{opts.root}: not a directory or a *.prompt.yml file",
            hint="pass the repository root (default: .) or a GitHub Models prompt file",
        )
    else:
        repo = opts.repo if opts.repo is not None else load_repo(WorkTree(root))
        agents = _select(repo.agents, opts.agents, root)
    if opts.changed_only and not opts.base:
        raise UsageError(
            "--changed-only needs --base REF", hint="e.g. --base origin/main --changed-only"
        )
    cfg = repo.config.eval
    concurrency = opts.concurrency or cfg.concurrency
    base = (opts.open_base or baseline.open_base)(root, opts.base) if opts.base else None
    plan_opts = PlanOptions(
        opts.provider or cfg.provider, opts.skip_missing_keys, cfg.judge, cfg.embedding
    )
    policy = trust.policy_from(
        base.repo if base else None,
        head_trusted=opts.head_trusted and base is None,
        source=f"the base commit {base.commit[:12]}" if base else "the base commit",
    )
    providers = Providers(
        timeout=cfg.timeout,
        pool=concurrency,
        policy=policy,
        max_response_bytes=cfg.max_response_bytes,
    )
    # agentci.yaml (judge, gates, providers, limits) shapes every agent's result
    config_changed = base is not None and baseline.config_changed(repo.source, base.repo.source)
    try:
        entries: list[tuple[Agent, bool | None, AgentPlan | None, AgentPlan | None]] = []
        for agent in agents:
            changed = (
                (config_changed or baseline.changed(agent, repo.source, base.repo))
                if base
                else None
            )
            if opts.changed_only and changed is False:
                entries.append((agent, changed, None, None))
                continue
            head = plan_agent(repo, agent, "head", providers, plan_opts, opts.shard)
            base_plan = None
            if base and changed and not head.skipped:
                base_agent = base.repo.agent(agent.name)
                if base_agent is not None:
                    load_eval_sets(base.repo, base_agent)  # the base reads only what it compares
                    base_plan = plan_agent(
                        base.repo, base_agent, "base", providers, plan_opts, opts.shard
                    )
            entries.append((agent, changed, head, base_plan))
        jobs: list[Job] = [j for _, _, h, b in entries for p in (h, b) if p for j in p.jobs]
        progress = Progress(len(jobs), enabled=opts.progress)
        runner = Runner(
            Cache(default_dir(root), enabled=not opts.no_cache),
            concurrency=concurrency,
            limits=cfg.limits,
            retries=cfg.retries,
            backoff_base=opts.backoff_base,
            max_retry_after=cfg.max_retry_after,
            on_done=progress.update,
            while_waiting=opts.while_waiting,
        )
        try:
            done = runner.run(jobs)
        finally:
            progress.stop()  # the timed CI lines end with the run, however it ends
        notes = providers.notes()
    finally:
        providers.close()

    by_job = {id(j): r for j, r in zip(jobs, done, strict=True)}
    agent_blocks = [
        _agent_block(repo, agent, changed, head, base_plan, by_job, opts, base is not None)
        for agent, changed, head, base_plan in entries
    ]
    for block in agent_blocks:
        progress.agent_done(block.name, _line(block, time.monotonic() - started))
    # On a PR the gate is the base's: a PR that lowers it shows the change, it does not apply it.
    trusted_gate = (base.repo.config if base else repo.config).eval.gate
    gate = gates.resolve(
        trusted_gate.min_pass_rate,
        trusted_gate.max_regressions,
        opts.min_pass_rate,
        opts.max_regressions,
        max_cost=trusted_gate.max_cost,
        max_cost_increase=trusted_gate.max_cost_increase,
    )
    totals = results.totals(
        agent_blocks, runner.stats.requests, runner.stats.cached, time.monotonic() - started
    )
    return results.document(
        repo=root,
        commit=_head_commit(root),
        base=BaseRef(base.ref, base.commit) if base else None,
        shard=str(opts.shard) if opts.shard else None,
        agents=agent_blocks,
        totals_=totals,
        gate=gate,
        notes=notes,
        trust=Trust(
            refused=[Refusal(**r) for r in providers.refusals()],
            config_changes=baseline.config_changes(repo.config, base.repo.config) if base else [],
        ),
    )


def _select(agents: list[Agent], names: list[str], root: Path) -> list[Agent]:
    if not agents:
        raise AgentciError(
            f"no agents found in {root}",
            hint="add agents/<name>/agent.yaml, or set `agents:` globs in agentci.yaml",
        )
    if not names:
        return agents
    known = {a.name for a in agents}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f"--agent {unknown[0]!r}: no such agent",
            hint=f"agents here: {', '.join(sorted(known))}",
        )
    return [a for a in agents if a.name in names]


def _agent_block(
    repo: Any,
    agent: Agent,
    changed: bool | None,
    head: AgentPlan | None,
    base: AgentPlan | None,
    by_job: dict[int, CaseResult],
    opts: EvalOptions,
    has_base: bool,
) -> AgentResult:
    plan = head
    sets = (
        plan.sets if plan else [load_set(agent.name, repo.documents.get(p), p) for p in agent.evals]
    )
    block = AgentResult(
        name=agent.name,
        provider=plan.provider if plan else agent.model.provider,
        model=plan.model if plan else agent.model.name,
        changed=changed,
        sets=[results.set_entry(s) for s in sets],
    )
    if plan is None or plan.skipped:
        block.skipped = plan.skipped if plan else f"unchanged since {opts.base}"
        block.cases = [
            results.skipped_entry(c)
            for s in sets
            for c in s.cases
            if opts.shard is None or opts.shard(c)
        ]
        return results.summarize(block)
    base_by_key = {j.case.key: by_job[id(j)] for j in base.jobs} if base else {}
    compared = has_base and bool(changed)
    prices = repo.config.eval.prices
    price = cost.price_for(plan.provider, plan.model, prices)
    base_price = cost.price_for(base.provider, base.model, prices) if base else None
    block.price = price.to_json() if price else None
    for job in plan.jobs:
        head_result = by_job[id(job)]
        block.cases.append(
            results.case_entry(
                head_result, base_by_key.get(job.case.key), compared, price, base_price
            )
        )
    return results.summarize(block)


def _line(block: AgentResult, elapsed: float) -> str:
    if block.skipped:
        return f"skipped: {block.skipped}"
    t = block.totals
    rate = block.pass_rate
    out = (
        f"{t.passed}/{t.cases} passed"
        + (f" ({rate:.0%})" if rate is not None else "")
        + f", {t.failed} failed, {t.errors} errors"
    )
    if block.base_pass_rate is not None:
        out += f"; base {block.base_pass_rate:.0%}, {t.regressions} regressions, {t.fixes} fixes"
    return out + f" [{elapsed:.1f}s]"


def _head_commit(root: Path) -> str | None:
    proc = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() or None if proc.returncode == 0 else None
