"""One eval run: discover agents, plan head (and base) jobs, run them in one pool, build results.

The library entry point behind `agentci eval`; tests and the benchmark call `evaluate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agentci import git, trust
from agentci.errors import AgentciError, UsageError
from agentci.eval import baseline, prompt_file
from agentci.eval.cache import Cache, default_dir
from agentci.eval.plan import PlanOptions, Providers, plan_agent
from agentci.eval.progress import Progress
from agentci.eval.runner import CaseResult, Job, Runner
from agentci.repo import Agent, Repo, load_eval_sets, load_repo
from agentci.source import WorkTree

if TYPE_CHECKING:
    from agentci.eval.assemble import Entry, Records
    from agentci.eval.records import RunResults
    from agentci.eval.shard import Shard


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
        entries: list[Entry] = []
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
        collect = _Collect(progress, lambda: _records(base, entries, repo))
        runner = Runner(
            Cache(default_dir(root), enabled=not opts.no_cache),
            concurrency=concurrency,
            limits=cfg.limits,
            retries=cfg.retries,
            backoff_base=opts.backoff_base,
            max_retry_after=cfg.max_retry_after,
            on_done=collect.done,
            while_waiting=_while_waiting(opts.while_waiting),
            on_all_sent=collect.all_sent,
        )
        commit = git.head_later(root)
        try:
            done = runner.run(jobs)
        finally:
            progress.stop()  # the timed CI lines end with the run, however it ends
        notes = providers.notes()
    finally:
        providers.close()

    from agentci.eval import assemble  # imported while the answers were awaited

    return assemble.run_results(
        assemble.Finished(
            root=root,
            repo=repo,
            base=base,
            entries=entries,
            opts=opts,
            requests=runner.stats.requests,
            cached=runner.stats.cached,
            started=started,
            notes=notes,
            refusals=providers.refusals(),
            commit=commit(),
        ),
        collect.finish(done),
        progress,
    )


class _Collect:
    """The run's `on_done` and `on_all_sent`: progress, and each case's record made as its
    answer arrives once nothing is left to send (`agentci.eval.assemble.Records`)."""

    def __init__(self, progress: Progress, make: Callable[[], Records]) -> None:
        self.progress = progress
        self.make = make
        self.records: Records | None = None
        self.pending: list[CaseResult] = []

    def done(self, result: CaseResult) -> None:
        self.progress.update(result)
        if self.records is None:
            self.pending.append(result)
        else:
            self.records.add(result)

    def all_sent(self) -> None:
        self.records = self.make()
        for result in self.pending:
            self.records.add(result)
        self.pending = []

    def finish(self, answers: list[CaseResult]) -> Records:
        if self.records is None:
            self.all_sent()
        assert self.records is not None
        self.records.add_missing(answers)
        return self.records


def _records(base: baseline.Base | None, entries: list[Entry], repo: Repo) -> Records:
    from agentci.eval import assemble  # imported while the first answers were awaited

    return assemble.Records(base, entries, repo)


def _while_waiting(then: Callable[[], None] | None) -> Callable[[], None]:
    """The run's wait for its first answers, used: the results model is imported (see
    `agentci.eval.assemble`), then the caller's own work is done."""

    def work() -> None:
        import agentci.eval.assemble  # noqa: F401

        if then is not None:
            then()

    return work


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
