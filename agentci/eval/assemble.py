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
from agentci.eval.records import AgentResult, BaseRef, CaseRecord, Refusal, RunResults, Trust

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
    opts: EvalOptions
    requests: int
    cached: int
    started: float  # time.monotonic() at the eval's start
    notes: list[str]
    refusals: list[dict[str, Any]]
    commit: str | None


def run_results(run: Finished, records: Records, progress: Progress) -> RunResults:
    base = run.base
    blocks = [
        _agent_block(run, records, agent, changed, head) for agent, changed, head, _ in run.entries
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
    records: Records,
    agent: Agent,
    changed: bool | None,
    plan: AgentPlan | None,
) -> AgentResult:
    opts = run.opts
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
    price = records.agents[agent.name].price
    block.price = price.to_json() if price else None
    block.cases = [records.made[job.case.key] for job in plan.jobs]
    return results.summarize(block)


class Records:
    """Case records, made as the answers arrive once the run has nothing left to send
    (`Runner.on_all_sent`): the ~10 µs each costs then passes while the last answers are
    awaited, not after them (2,000 cases: ~25 ms). A head answer's record waits for its
    base answer when the base has the case. What is not made early is made at the end
    (`add_missing`), so after the run `made` holds every head case's record."""

    def __init__(self, base: baseline.Base | None, entries: list[Entry], repo: Repo) -> None:
        prices = repo.config.eval.prices
        self.agents = {
            agent.name: _Pricing(
                compared=base is not None and bool(changed),
                price=cost.price_for(head.provider, head.model, prices),
                base_price=cost.price_for(base_plan.provider, base_plan.model, prices)
                if base_plan
                else None,
                base_keys=frozenset(j.case.key for j in base_plan.jobs)
                if base_plan
                else frozenset(),
            )
            for agent, changed, head, base_plan in entries
            if head is not None and not head.skipped
        }
        self._answers: dict[tuple[str, str], CaseResult] = {}  # (side, case key) -> answer
        self.made: dict[str, CaseRecord] = {}  # case key -> the head case's record

    def add(self, result: CaseResult) -> None:
        key = result.case.key
        self._answers[(result.side, key)] = result
        head = self._answers.get(("head", key))
        pricing = self.agents.get(result.case.agent)
        if head is None or pricing is None:
            return
        if key in pricing.base_keys and ("base", key) not in self._answers:
            return  # its base answer is still to come
        self.made[key] = self._record(head)

    def add_missing(self, answers: list[CaseResult]) -> None:
        """Every answer of the run, for those `add` has not seen."""
        for r in answers:
            if self._answers.get((r.side, r.case.key)) is not r:
                self.add(r)

    def _record(self, head: CaseResult) -> CaseRecord:
        p = self.agents[head.case.agent]
        base = self._answers.get(("base", head.case.key)) if head.case.key in p.base_keys else None
        return results.case_entry(head, base, p.compared, p.price, p.base_price)


@dataclass(frozen=True)
class _Pricing:
    """How one agent's case records are made: compared with a base, at which prices."""

    compared: bool
    price: cost.Price | None
    base_price: cost.Price | None
    base_keys: frozenset[str]  # the base plan's cases


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
