"""The results JSON (README, "Evaluation"): the one source every report is rendered from.

Built in two steps so shard files can be merged: case entries first, then every
count, rate and set verdict is derived from the case entries alone (`summarize`).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path
from typing import Any

from agentci import __version__, redact
from agentci.errors import AgentciError
from agentci.eval import cost, gates
from agentci.eval.baseline import change
from agentci.eval.cases import EvalSet
from agentci.eval.runner import CaseResult
from agentci.files import write_atomic

VERSION = 1
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


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
) -> dict[str, Any]:
    c = head.case
    entry: dict[str, Any] = {
        "id": c.id,
        "set": c.set_path,
        "line": c.line,
        "input": c.input,
        "expected": c.expected,
        "vars": c.vars,
        "status": head.status,
        "score": head.score,
        "threshold": c.threshold,
        "output": head.output,
        "error": head.error,
        "latency_ms": head.latency_ms,
        "tokens": {
            "input": head.input_tokens,
            "output": head.output_tokens,
            "reasoning": head.reasoning_tokens,
            "cached_input": head.cached_input_tokens,
        },
        # `length`: the answer was cut at max_tokens and scored as cut (the report says so)
        "finish_reason": head.finish_reason,
        "refusal": head.refusal,
        "cached": head.cached,
        "cost": _cost(head, price),  # USD; 0 when cached; None when the model has no price
        "runs": head.runs,
        "runs_passed": head.runs_passed,
        "assertions": [
            {
                "type": r.type,
                "value": spec.value,
                "passed": r.passed,
                "score": r.score,
                "reason": r.reason,
                "weight": r.weight,
            }
            for spec, r in zip(c.asserts, head.assertions, strict=False)
        ],
        "tool_calls": head.tool_calls,
        "base": None,
        "change": None,
    }
    if base is not None:
        entry["base"] = {
            "status": base.status,
            "score": base.score,
            "output": base.output,
            "error": base.error,
            "cost": _cost(base, base_price),
            "cached": base.cached,
        }
    if compared:
        entry["change"] = change(head.status, base.status if base else None)
    return entry


def skipped_entry(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "set": c.set_path,
        "line": c.line,
        "input": c.input,
        "expected": c.expected,
        "vars": c.vars,
        "status": "skipped",
        "score": None,
        "threshold": c.threshold,
        "output": None,
        "error": None,
        "latency_ms": None,
        "tokens": {"input": None, "output": None},
        "finish_reason": None,
        "refusal": None,
        "cached": False,
        "runs": 0,
        "runs_passed": 0,
        "assertions": [],
        "tool_calls": [],
        "base": None,
        "change": None,
    }


def set_entry(s: EvalSet) -> dict[str, Any]:
    return {
        "path": s.path,
        "threshold": s.threshold,
        "min_pass_rate": s.min_pass_rate,
        "error": s.error,
    }


def _rate(passed: int, scored: int) -> float | None:
    return round(passed / scored, 4) if scored else None


def summarize(agent: dict[str, Any]) -> dict[str, Any]:
    """Fill an agent block's totals, pass rates and set verdicts from its case entries."""
    cases = agent["cases"]
    count = {
        s: sum(1 for c in cases if c["status"] == s) for s in ("pass", "fail", "error", "skipped")
    }
    changes = {
        k: sum(1 for c in cases if c.get("change") == k) for k in ("regression", "fix", "new")
    }
    agent["totals"] = {
        "cases": len(cases),
        "passed": count["pass"],
        "failed": count["fail"],
        "errors": count["error"],
        "skipped": count["skipped"],
        "regressions": changes["regression"],
        "fixes": changes["fix"],
        "new": changes["new"],
        "truncated": sum(1 for c in cases if c.get("finish_reason") == "length"),
        "refused": sum(1 for c in cases if c.get("refusal") or c.get("finish_reason") == "refusal"),
    }
    ran = [c for c in cases if c["status"] != "skipped"]
    compared = [c for c in ran if c.get("base")]
    agent["cost"] = {
        "head": cost.total([c.get("cost") for c in ran]),
        "base": cost.total([c["base"].get("cost") for c in compared]) if compared else None,
        "head_compared": cost.total([c.get("cost") for c in compared]) if compared else None,
        "unpriced": sum(1 for c in ran if c.get("cost") is None and c["status"] != "error"),
    }
    agent["pass_rate"] = _rate(count["pass"], count["pass"] + count["fail"] + count["error"])
    based = [c["base"] for c in cases if c.get("base")]
    agent["base_pass_rate"] = (
        _rate(sum(1 for b in based if b["status"] == "pass"), len(based)) if based else None
    )
    for s in agent["sets"]:
        mine = [c for c in cases if c["set"] == s["path"] and c["status"] != "skipped"]
        passed = sum(1 for c in mine if c["status"] == "pass")
        s["cases"] = len(mine)
        s["passed"] = passed
        s["pass_rate"] = _rate(passed, len(mine))
        s["gate_passed"] = (
            s.get("min_pass_rate") is None
            or not mine
            or (s["pass_rate"] or 0) >= s["min_pass_rate"] - 1e-9
        )
    return agent


def totals(
    agents: list[dict[str, Any]], requests: int, cached: int, duration: float
) -> dict[str, Any]:
    t = {
        k: sum(a["totals"][k] for a in agents)
        for k in ("cases", "passed", "failed", "errors", "skipped", "regressions", "fixes", "new")
    }
    scored = t["passed"] + t["failed"] + t["errors"]
    costs = [a.get("cost") or {} for a in agents]
    run_cost = {
        "head": cost.total([c.get("head") for c in costs]),
        "base": cost.total([c.get("base") for c in costs]),
        "head_compared": cost.total([c.get("head_compared") for c in costs]),
    }
    run_cost["increase"] = cost.increase(run_cost["head_compared"], run_cost["base"])
    return {
        "agents": len(agents),
        **t,
        "pass_rate": _rate(t["passed"], scored),
        "requests": requests,
        "cached": cached,
        "duration_s": round(duration, 3),
        "cost": run_cost,
    }


def document(
    *,
    repo: Path,
    commit: str | None,
    base: dict[str, str] | None,
    shard: str | None,
    agents: list[dict[str, Any]],
    totals_: dict[str, Any],
    gate: gates.GateConfig,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": VERSION,
        "tool": f"agentci {__version__}",
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "repo": str(repo),
        "commit": commit,
        "base": base,
        "shard": shard,
        "gate": {},
        "totals": totals_,
        "agents": agents,
        "notes": list(notes or []),  # what providers changed on their own (an adapted parameter)
    }
    out["gate"] = gates.evaluate(out, gate)
    return out


def dumps(data: dict[str, Any], *, pretty: bool = False) -> str:
    # indent= forces json's pure-Python encoder (~10x slower on a 200-case run); files stay compact.
    return json.dumps(data, indent=1 if pretty else None, ensure_ascii=False, default=str) + "\n"


def write(path: Path, data: dict[str, Any], text: str | None = None) -> None:
    """Atomic: a reader (or a crashed run) never sees half a results file."""
    try:
        write_atomic(path, redact.text(text if text is not None else dumps(redact.scrub(data))))
    except OSError as exc:
        raise AgentciError(
            f"cannot write results {path}: {exc.strerror or exc}",
            hint="pass a writable file path with --output",
        ) from None


def load(path: Path) -> dict[str, Any]:
    try:
        raw = Path(path).read_text(encoding="utf-8")
        data = json.loads(raw)
        if _LONE_SURROGATE.search(raw):  # `"\ud800"` decodes to text no file or pipe can encode
            data = json.loads(
                json.dumps(data, ensure_ascii=False).encode("utf-8", "replace").decode("utf-8")
            )
    except OSError as exc:
        raise AgentciError(f"cannot read results {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise AgentciError(
            f"{path} is not valid JSON: {exc}", hint="pass the file `agentci eval --output` wrote"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("version") != VERSION
        or not isinstance(data.get("agents"), list)
        or not isinstance(data.get("gate"), dict)
        or not isinstance(data.get("totals"), dict)
    ):
        raise AgentciError(
            f"{path} is not an agentci results file (version {VERSION})",
            hint="pass the JSON written by `agentci eval --output PATH`",
        )
    try:
        return recompute(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AgentciError(
            f"{path}: damaged agentci results file ({type(exc).__name__}: {str(exc)[:200]})",
            hint="pass the JSON written by `agentci eval --output PATH`",
        ) from None


def recompute(data: dict[str, Any], gate: gates.GateConfig | None = None) -> dict[str, Any]:
    """Every count, rate and the gate derived again from the case entries: a results file is
    evidence, not a verdict (a `gate.passed: true` typed into it means nothing). `gate`: the
    thresholds to apply; default: the file's own (only right for a file this process wrote)."""
    for agent in data["agents"]:
        if not isinstance(agent.get("cases"), list) or not isinstance(agent.get("sets"), list):
            raise ValueError(f"agent {str(agent.get('name'))[:80]!r} has no cases/sets lists")
        agent["cases"] = [c for c in agent["cases"] if isinstance(c, dict)]
        agent["sets"] = [s for s in agent["sets"] if isinstance(s, dict)]
        summarize(agent)
    old = data["totals"]
    data["totals"] = totals(
        data["agents"],
        _count(old.get("requests")),
        _count(old.get("cached")),
        float(old.get("duration_s") or 0.0),
    )
    if gate is None:
        gate = gates.resolve(
            _opt(data["gate"].get("min_pass_rate"), float),
            _opt(data["gate"].get("max_regressions"), int),
            None,
            None,
        )
    data["gate"] = gates.evaluate(data, gate)
    return data


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _opt(value: Any, kind: type) -> Any:
    return kind(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _check_shards(paths: list[Path], docs: list[dict[str, Any]]) -> None:
    """A merge that lacks a shard, or mixes commits, would gate on part of the cases as if
    they were all of them: refuse it, naming what is missing."""
    commits = {d.get("commit") for d in docs if d.get("commit")}
    if len(commits) > 1:
        raise AgentciError(
            f"results from {len(commits)} different commits: {', '.join(sorted(str(c)[:12] for c in commits))}",
            hint="merge the shard results of one run only",
        )
    seen: dict[int, set[int]] = {}
    for path, doc in zip(paths, docs, strict=True):
        raw = doc.get("shard")
        if raw is None:
            continue
        try:
            i, n = (int(x) for x in str(raw).split("/"))
        except ValueError:
            raise AgentciError(
                f"{path}: bad shard {raw!r}", hint="pass the file `agentci eval --shard i/n` wrote"
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


def merge(paths: list[Path]) -> dict[str, Any]:
    """Join shard results into one document, as if one job had run every case."""
    docs = [load(p) for p in paths]
    if not docs:
        raise AgentciError("nothing to merge", hint="pass the results files of every shard")
    _check_shards(paths, docs)
    agents: dict[str, dict[str, Any]] = {}
    for doc in docs:
        for a in doc["agents"]:
            into = agents.get(a["name"])
            if into is None:
                agents[a["name"]] = {
                    **a,
                    "cases": list(a["cases"]),
                    "sets": [dict(s) for s in a["sets"]],
                }
                continue
            seen = {(c["set"], c["id"]) for c in into["cases"]}
            into["cases"] += [c for c in a["cases"] if (c["set"], c["id"]) not in seen]
            into["skipped"] = (
                into["skipped"] if a["skipped"] is None else (into["skipped"] or a["skipped"])
            )
            into["changed"] = bool(into.get("changed")) or bool(a.get("changed"))
            known = {s["path"] for s in into["sets"]}
            into["sets"] += [dict(s) for s in a["sets"] if s["path"] not in known]
    merged = [summarize(a) for a in agents.values()]
    for a in merged:
        a["cases"].sort(key=lambda c: (c["set"], c["line"], c["id"]))
    first = docs[0]
    gate = gates.resolve(
        first["gate"].get("min_pass_rate"),
        first["gate"].get("max_regressions"),
        None,
        None,
        max_cost=first["gate"].get("max_cost"),
        max_cost_increase=first["gate"].get("max_cost_increase"),
    )
    t = totals(
        merged,
        sum(d["totals"].get("requests", 0) for d in docs),
        sum(d["totals"].get("cached", 0) for d in docs),
        max(d["totals"].get("duration_s", 0.0) for d in docs),
    )
    notes = list(
        dict.fromkeys(str(n) for d in docs for n in d.get("notes") or [] if isinstance(n, str))
    )
    out = document(
        repo=Path(first["repo"]),
        commit=first.get("commit"),
        base=first.get("base"),
        shard=None,
        agents=merged,
        totals_=t,
        gate=gate,
        notes=notes,
    )
    out["trust"] = {
        "refused": [r for d in docs for r in (d.get("trust") or {}).get("refused", [])],
        "config_changes": (first.get("trust") or {}).get("config_changes", []),
    }
    return out
