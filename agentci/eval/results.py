"""The results file (README, "Evaluation"): the one source every report is rendered from.

Built in two steps so shard files can be merged: case records first, then every count,
rate and set verdict is derived from the case records alone (`summarize`, `recompute`).
The types live in `agentci.eval.records`; `to_json` / `from_json` are the one way in and
out of the file, and `load` / `write` / `merge` the ways to and from disk.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import re
from pathlib import Path
from typing import Any

from agentci import __version__, redact
from agentci.errors import AgentciError
from agentci.eval import cost, evidence, gates
from agentci.eval.baseline import change
from agentci.eval.cases import Case, EvalSet
from agentci.eval.records import (
    VERSION,
    AgentCost,
    AgentResult,
    AgentTotals,
    AssertionRecord,
    BaseCase,
    BaseRef,
    CaseRecord,
    ResultsFormatError,
    RunCost,
    RunResults,
    RunTotals,
    SetRecord,
    Tokens,
    Trust,
)
from agentci.eval.runner import CaseResult
from agentci.files import write_atomic

#: A results file larger than this is refused before it is read (AGENTCI_MAX_RESULTS_BYTES).
DEFAULT_MAX_RESULTS_BYTES = 256 * 1024 * 1024
MAX_RESULTS_ENV = "AGENTCI_MAX_RESULTS_BYTES"
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
HINT = f"pass the JSON written by `agentci eval --output PATH` (results format version {VERSION})"


def _cost(r: CaseResult, price: cost.Price | None) -> float | None:
    each = cost.case_cost(
        {"input": r.input_tokens, "output": r.output_tokens, "cached_input": r.cached_input_tokens},
        r.cached,
        price,
    )
    return (
        None if each is None else round(each * max(1, r.runs), 8)
    )  # every repetition is an answer


def case_entry(
    head: CaseResult,
    base: CaseResult | None,
    compared: bool,
    price: cost.Price | None = None,
    base_price: cost.Price | None = None,
) -> CaseRecord:
    return _record(
        head.case,
        head.status,
        score=head.score,
        output=head.output,
        error=head.error,
        latency_ms=head.latency_ms,
        tokens=Tokens(
            head.input_tokens, head.output_tokens, head.reasoning_tokens, head.cached_input_tokens
        ),
        finish_reason=head.finish_reason,
        refusal=head.refusal,
        cached=head.cached,
        cost=_cost(head, price),
        runs=head.runs,
        runs_passed=head.runs_passed,
        assertions=[
            AssertionRecord(
                type=r.type,
                value=spec.value,
                passed=r.passed,
                score=r.score,
                reason=r.reason,
                weight=r.weight,
            )
            for spec, r in zip(head.case.asserts, head.assertions, strict=False)
        ],
        tool_calls=head.tool_calls,
        base=None
        if base is None
        else BaseCase(
            status=base.status,
            score=base.score,
            output=base.output,
            error=base.error,
            cost=_cost(base, base_price),
            cached=base.cached,
        ),
        change=change(head.status, base.status if base else None) if compared else None,
    )


def skipped_entry(c: Case) -> CaseRecord:
    return _record(c, "skipped")


def _record(c: Case, status: str, **answer: Any) -> CaseRecord:
    """A case record: what the eval set says about the case, and the answer's fields."""
    return CaseRecord(
        id=c.id,
        set=c.set_path,
        line=c.line,
        input=c.input,
        expected=c.expected,
        vars=c.vars,
        status=status,
        threshold=c.threshold,
        **answer,
    )


def set_entry(s: EvalSet) -> SetRecord:
    return SetRecord(s.path, s.threshold, s.min_pass_rate, s.error)


def _rate(passed: int, scored: int) -> float | None:
    return round(passed / scored, 4) if scored else None


def summarize(agent: AgentResult) -> AgentResult:
    """Fill an agent's totals, pass rates and set verdicts from its case records."""
    cases = agent.cases
    count = {
        s: sum(1 for c in cases if c.status == s) for s in ("pass", "fail", "error", "skipped")
    }
    changes = {k: sum(1 for c in cases if c.change == k) for k in ("regression", "fix", "new")}
    agent.totals = AgentTotals(
        cases=len(cases),
        passed=count["pass"],
        failed=count["fail"],
        errors=count["error"],
        skipped=count["skipped"],
        regressions=changes["regression"],
        fixes=changes["fix"],
        new=changes["new"],
        truncated=sum(1 for c in cases if c.finish_reason == "length"),
        refused=sum(1 for c in cases if c.refusal or c.finish_reason == "refusal"),
    )
    ran = [c for c in cases if c.status != "skipped"]
    compared = [c for c in ran if c.base]
    agent.cost = AgentCost(
        head=cost.total([c.cost for c in ran]),
        base=cost.total([c.base.cost for c in compared if c.base]) if compared else None,
        head_compared=cost.total([c.cost for c in compared]) if compared else None,
        unpriced=sum(1 for c in ran if c.cost is None and c.status != "error"),
    )
    agent.pass_rate = _rate(count["pass"], count["pass"] + count["fail"] + count["error"])
    based = [c.base for c in cases if c.base]
    agent.base_pass_rate = (
        _rate(sum(1 for b in based if b.status == "pass"), len(based)) if based else None
    )
    for s in agent.sets:
        mine = [c for c in cases if c.set == s.path and c.status != "skipped"]
        s.cases = len(mine)
        s.passed = sum(1 for c in mine if c.status == "pass")
        s.pass_rate = _rate(s.passed, len(mine))
        s.gate_passed = (
            s.min_pass_rate is None or not mine or (s.pass_rate or 0) >= s.min_pass_rate - 1e-9
        )
    return agent


def totals(agents: list[AgentResult], requests: int, cached: int, duration: float) -> RunTotals:
    t = RunTotals(
        agents=len(agents),
        cases=sum(a.totals.cases for a in agents),
        passed=sum(a.totals.passed for a in agents),
        failed=sum(a.totals.failed for a in agents),
        errors=sum(a.totals.errors for a in agents),
        skipped=sum(a.totals.skipped for a in agents),
        regressions=sum(a.totals.regressions for a in agents),
        fixes=sum(a.totals.fixes for a in agents),
        new=sum(a.totals.new for a in agents),
        requests=requests,
        cached=cached,
        duration_s=round(duration, 3),
    )
    t.pass_rate = _rate(t.passed, t.scored)
    head_compared = cost.total([a.cost.head_compared for a in agents])
    base = cost.total([a.cost.base for a in agents])
    t.cost = RunCost(
        head=cost.total([a.cost.head for a in agents]),
        base=base,
        head_compared=head_compared,
        increase=cost.increase(head_compared, base),
    )
    return t


def document(
    *,
    repo: Path,
    commit: str | None,
    base: BaseRef | None,
    shard: str | None,
    agents: list[AgentResult],
    totals_: RunTotals,
    gate: gates.GateConfig,
    notes: list[str] | None = None,
    trust: Trust | None = None,
) -> RunResults:
    run = RunResults(
        tool=f"agentci {__version__}",
        created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        repo=str(repo),
        commit=commit,
        base=base,
        shard=shard,
        totals=totals_,
        agents=agents,
        notes=list(notes or []),  # what providers changed on their own (an adapted parameter)
        trust=trust or Trust(),
    )
    run.gate = gates.evaluate(run, gate)
    return run


# -- in and out ----------------------------------------------------------------------------


def to_json(run: RunResults) -> dict[str, Any]:
    """The results document (JSON-ready), exactly as `write` stores it."""
    return run.to_json()


def from_json(data: Any, gate: gates.GateConfig | None = None) -> RunResults:
    """A results document read back: its evidence checked field by field (`ResultsFormatError`
    names the JSON path of the first bad value), every count, rate and verdict derived again
    from the cases with `gate` (default: the document's own thresholds)."""
    return recompute(evidence.run(data), gate)


def recompute(run: RunResults, gate: gates.GateConfig | None = None) -> RunResults:
    """Every count, rate and the gate derived again from the case records: a results file is
    evidence, not a verdict (a `gate.passed: true` typed into it means nothing). `gate`: the
    thresholds to apply; default: the run's own (only right for a run this process made)."""
    for agent in run.agents:
        summarize(agent)
    run.totals = totals(run.agents, run.totals.requests, run.totals.cached, run.totals.duration_s)
    if gate is None:
        gate = gates.GateConfig(
            min_pass_rate=run.gate.min_pass_rate,
            max_regressions=run.gate.max_regressions,
            max_cost=run.gate.max_cost,
            max_cost_increase=run.gate.max_cost_increase,
        )
    run.gate = gates.evaluate(run, gate)
    return run


def redacted(run: RunResults) -> RunResults:
    """The run with every string redacted (and containers cut at redact.MAX_DEPTH), in
    place: done once to a run's output, before any formatting. Returns `run`."""
    _scrub(run)
    return run


def redacted_text(run: RunResults) -> tuple[RunResults, str]:
    """`redacted(run)` and its results document (`dumps`), with the walk skipped when the
    document holds no trace of a known credential: every string of the run is in it
    (tests/eval/test_results_redaction.py plants a credential in each field), and a
    credential's anchor survives JSON's escaping, so one scan of the text answers for all
    of them (2,000 cases: one ~1 MB scan instead of ~136,000 calls)."""
    text = dumps(run)
    if not redact.may_hold(text):
        return run, text
    _scrub(run)
    return run, dumps(run)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _scrub(obj: Any) -> None:
    names = _FIELDS.get(type(obj))
    if names is None:
        names = _FIELDS[type(obj)] = tuple(f.name for f in dataclasses.fields(obj))
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str):
            setattr(obj, name, redact.text(value))
        elif dataclasses.is_dataclass(value):
            _scrub(value)
        elif isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
            for item in value:
                _scrub(item)
        elif isinstance(value, (dict, list)):
            setattr(obj, name, redact.scrub(value))


def dumps(run: RunResults, *, pretty: bool = False) -> str:
    # indent= forces json's pure-Python encoder (~10x slower on a 200-case run); files stay compact.
    data = to_json(run)
    text = None if pretty else _compact(data)
    if text is not None:
        return text
    return json.dumps(data, indent=1 if pretty else None, ensure_ascii=False, default=str) + "\n"


def _compact(data: dict[str, Any]) -> str | None:
    """The document in one line, by orjson: 2,000 cases in ~1 ms where json's C encoder
    takes 12-16 ms, the largest step between a run's last answer and its exit. None for
    what orjson refuses and json writes (a lone surrogate, an integer past 64 bits): the
    caller writes those with json. One difference is kept: NaN is written `null` (json's
    `NaN` is not JSON)."""
    import orjson

    try:
        return orjson.dumps(
            data, default=str, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
        ).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is one
        return None


def write(path: Path, run: RunResults, text: str | None = None) -> None:
    """Atomic: a reader (or a crashed run) never sees half a results file. `text`: `dumps(run)`
    when the caller has it already."""
    try:
        write_atomic(path, redact.text(text if text is not None else dumps(redacted(run))))
    except OSError as exc:
        raise AgentciError(
            f"cannot write results {path}: {exc.strerror or exc}",
            hint="pass a writable file path with --output",
        ) from None


def max_results_bytes() -> int:
    raw = os.environ.get(MAX_RESULTS_ENV, "")
    return int(raw) if raw.strip().isdigit() and int(raw) > 0 else DEFAULT_MAX_RESULTS_BYTES


def load(path: Path, gate: gates.GateConfig | None = None) -> RunResults:
    """A results file, checked and re-derived (see `from_json`); any problem with it is one
    AgentciError naming the file (and the JSON path of a bad value), never a traceback."""
    try:
        size, limit = Path(path).stat().st_size, max_results_bytes()
        if size > limit:
            raise AgentciError(
                f"{path}: results file is {size:,} bytes, more than the {limit:,} agentci reads",
                hint=f"pass the file `agentci eval --output` wrote, or raise {MAX_RESULTS_ENV}",
            )
        raw = Path(path).read_text(encoding="utf-8")
        data = json.loads(raw)
        if _LONE_SURROGATE.search(raw):  # `"\ud800"` decodes to text no file or pipe can encode
            data = json.loads(
                json.dumps(data, ensure_ascii=False).encode("utf-8", "replace").decode("utf-8")
            )
    except OSError as exc:
        raise AgentciError(f"cannot read results {path}: {exc.strerror or exc}") from None
    except RecursionError:
        raise AgentciError(f"{path}: results file nested too deeply", hint=HINT) from None
    except ValueError as exc:
        raise AgentciError(f"{path} is not valid JSON: {exc}", hint=HINT) from None
    try:
        return from_json(data, gate)
    except ResultsFormatError as exc:
        what = (
            f"{path}: not an agentci results file ({exc})"
            if exc.where in ("", "version", "agents")
            else f"{path}: damaged agentci results file: {exc}"
        )
        raise AgentciError(what, hint=HINT) from None
    except RecursionError:
        raise AgentciError(f"{path}: results file nested too deeply", hint=HINT) from None


def _check_shards(paths: list[Path], runs: list[RunResults]) -> None:
    """A merge that lacks a shard, or mixes commits, would gate on part of the cases as if
    they were all of them: refuse it, naming what is missing."""
    commits = {r.commit for r in runs if r.commit}
    if len(commits) > 1:
        raise AgentciError(
            f"results from {len(commits)} different commits: {', '.join(sorted(c[:12] for c in commits))}",
            hint="merge the shard results of one run only",
        )
    seen: dict[int, set[int]] = {}
    for path, run in zip(paths, runs, strict=True):
        if run.shard is None:
            continue
        try:
            i, n = (int(x) for x in run.shard.split("/"))
        except ValueError:
            raise AgentciError(
                f"{path}: bad shard {run.shard[:40]!r}",
                hint="pass the file `agentci eval --shard i/n` wrote",
            ) from None
        seen.setdefault(n, set()).add(i)
    if len(seen) > 1:
        raise AgentciError(
            f"shards of different splits: {', '.join(f'of {n}' for n in sorted(seen))}",
            hint="use one --shard i/N with the same N in every job",
        )
    for n, got in seen.items():
        missing = [f"{i}/{n}" for i in range(1, n + 1) if i not in got]
        if missing:
            raise AgentciError(
                f"shard results missing: {', '.join(missing)} (got {len(got)} of {n})",
                hint="pass the results file of every shard job (a failed shard job has none: re-run it)",
            )


def merge(paths: list[Path]) -> RunResults:
    """Join shard results into one run, as if one job had run every case."""
    runs = [load(p) for p in paths]
    if not runs:
        raise AgentciError("nothing to merge", hint="pass the results files of every shard")
    _check_shards(paths, runs)
    agents: dict[str, AgentResult] = {}
    for run in runs:
        for a in run.agents:
            into = agents.get(a.name)
            if into is None:
                agents[a.name] = dataclasses.replace(a, cases=list(a.cases), sets=list(a.sets))
                continue
            seen = {(c.set, c.id) for c in into.cases}
            into.cases += [c for c in a.cases if (c.set, c.id) not in seen]
            into.skipped = into.skipped if a.skipped is None else (into.skipped or a.skipped)
            into.changed = bool(into.changed) or bool(a.changed)
            known = {s.path for s in into.sets}
            into.sets += [s for s in a.sets if s.path not in known]
    merged = [summarize(a) for a in agents.values()]
    for a in merged:
        a.cases.sort(key=lambda c: (c.set, c.line, c.id))
    first = runs[0]
    gate = gates.GateConfig(
        min_pass_rate=first.gate.min_pass_rate,
        max_regressions=first.gate.max_regressions,
        max_cost=first.gate.max_cost,
        max_cost_increase=first.gate.max_cost_increase,
    )
    t = totals(
        merged,
        sum(r.totals.requests for r in runs),
        sum(r.totals.cached for r in runs),
        max(r.totals.duration_s for r in runs),
    )
    return document(
        repo=Path(first.repo),
        commit=first.commit,
        base=first.base,
        shard=None,
        agents=merged,
        totals_=t,
        gate=gate,
        notes=list(dict.fromkeys(n for r in runs for n in r.notes)),
        trust=Trust(
            refused=[x for r in runs for x in r.trust.refused],
            config_changes=first.trust.config_changes,
        ),
    )
