"""A finished run's answers -> the results document: one block per agent (its case records,
paired with the base's answers), the trusted gate, the totals.

The last step of `agentci.eval.engine.evaluate`, kept apart so that neither it nor the
results model it builds (`records`, `results`, `cost`, `gates`) is imported before the
first request: the engine imports this module after its run, and the eval flow imports it
on a thread while the first answers are awaited (`Runner.while_waiting`), ~15 ms that no
longer stand between the process start and the first request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentci.eval import baseline, cost, gates, results
from agentci.eval.cases import load_set
from agentci.eval.records import AgentResult, BaseRef, Refusal, RunResults, Trust

if TYPE_CHECKING:
    from agentci.eval.engine import EvalOptions
    from agentci.eval.plan import AgentPlan
    from agentci.eval.progress import Progress
    from agentci.eval.runner import CaseResult
    from agentci.repo import Agent, Repo

#: one agent's place in the run: the agent, whether it changed since the base (None: no
#: base), its head plan and its base plan (None: not run on that side)
Entry = tuple["Agent", "bool | None", "AgentPlan | None", "AgentPlan | None"]


@dataclass
class Finished:
    """What the engine knows when its run has ended."""

    root: Path
    repo: Repo
    base: baseline.Base | None
    entries: list[Entry]
    answers: dict[int, CaseResult]  # id(job) -> its result
    opts: EvalOptions
    requests: int
    cached: int
    started: float  # time.monotonic() at the eval's start
    notes: list[str]
    refusals: list[dict[str, Any]]
    commit: str | None


def run_results(run: Finished, progress: Progress) -> RunResults:
    base = run.base
    blocks = [
        _agent_block(run, agent, changed, head, base_plan)
        for agent, changed, head, base_plan in run.entries
    ]
    for block in blocks:
        progress.agent_done(block.name, _line(block, time.monotonic() - run.started))
    # On a PR the gate is the base's: a PR that lowers it shows the change, it does not apply it.
    trusted_gate = (base.repo.config if base else run.repo.config).eval.gate
    gate = gates.resolve(
        trusted_gate.min_pass_rate,
        trusted_gate.max_regressions,
        run.opts.min_pass_rate,
        run.opts.max_regressions,
        max_cost=trusted_gate.max_cost,
        max_cost_increase=trusted_gate.max_cost_increase,
    )
    totals = results.totals(blocks, run.requests, run.cached, time.monotonic() - run.started)
    return results.document(
        repo=run.root,
        commit=run.commit,
        base=BaseRef(base.ref, base.commit) if base else None,
        shard=str(run.opts.shard) if run.opts.shard else None,
        agents=blocks,
        totals_=totals,
        gate=gate,
        notes=run.notes,
        trust=Trust(
            refused=[Refusal(**r) for r in run.refusals],
            config_changes=baseline.config_changes(run.repo.config, base.repo.config)
            if base
            else [],
        ),
    )


def _agent_block(
    run: Finished,
    agent: Agent,
    changed: bool | None,
    head: AgentPlan | None,
    base: AgentPlan | None,
) -> AgentResult:
    plan, opts = head, run.opts
    sets = (
        plan.sets
        if plan
        else [load_set(agent.name, run.repo.documents.get(p), p) for p in agent.evals]
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
    answers = run.answers
    base_by_key = {j.case.key: answers[id(j)] for j in base.jobs} if base else {}
    compared = run.base is not None and bool(changed)
    prices = run.repo.config.eval.prices
    price = cost.price_for(plan.provider, plan.model, prices)
    base_price = cost.price_for(base.provider, base.model, prices) if base else None
    block.price = price.to_json() if price else None
    block.cases = [
        results.case_entry(
            answers[id(job)], base_by_key.get(job.case.key), compared, price, base_price
        )
        for job in plan.jobs
    ]
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
