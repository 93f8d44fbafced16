"""Eval sets -> Case records: defaults merged, thresholds, repeat/min_pass, vars, line numbers.

A set that cannot be read becomes an `EvalSet` with an `error` (its cases are not
run) rather than an exception, so one broken file never hides the other results.
GitHub Models `*.prompt.yml` files are mapped by `agentci.eval.prompt_yml.to_eval_set`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentci.documents import Document
from agentci.errors import AgentciError
from agentci.eval.assertions.base import AssertionSpec
from agentci.findings import Severity

PROMPT_YML = (".prompt.yml", ".prompt.yaml")
_SPEC_KEYS = {"type", "value", "weight", "threshold", "args", "name"}


@dataclass(frozen=True)
class Case:
    agent: str
    set_path: str
    id: str
    line: int
    input: str
    expected: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    context: tuple[str, ...] = ()
    asserts: tuple[AssertionSpec, ...] = ()
    threshold: float | None = None  # None: every assertion must pass
    repeat: int = 1
    min_pass: int = 1
    system: str | None = None  # a prompt the set brings itself (prompt.yml); None = the agent's
    error: str | None = None  # the case cannot run as written (e.g. a bad assertion entry)
    #: the set's own model and parameters (prompt.yml `model` / `modelParameters` / responseFormat)
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable identity across runs, shards and the base ref."""
        return f"{self.agent}\x1f{self.set_path}\x1f{self.id}"


@dataclass
class EvalSet:
    path: str
    cases: list[Case] = field(default_factory=list)
    threshold: float | None = None  # the case threshold from defaults (as shown in results)
    min_pass_rate: float | None = None  # the set's own gate: top-level `threshold`
    error: str | None = None


def load_set(agent: str, doc: Document | None, path: str) -> EvalSet:
    if doc is None:
        return EvalSet(path, error=f"{path}: not loaded")
    blocking = [f for f in doc.findings if f.severity == Severity.ERROR]
    if doc.data is None or blocking:
        f = blocking[0] if blocking else None
        where = f.location if f else path
        msg = f.message if f else "could not be read"
        more = f" (+{len(blocking) - 1} more; run `agentci validate`)" if len(blocking) > 1 else ""
        return EvalSet(path, error=f"{where}: {msg}{more}")
    data: Any = doc.data
    if path.endswith(PROMPT_YML):
        try:
            mod = importlib.import_module("agentci.eval.prompt_yml")
        except ImportError:
            return EvalSet(
                path, error=f"{path}: GitHub Models prompt files are not supported in this build"
            )
        try:
            data = mod.to_eval_set(doc)
        except Exception as exc:  # the mapper reports bad files by raising
            return EvalSet(path, error=f"{path}: {exc}")
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        return EvalSet(path, error=f"{path}:{doc.line_of([])}: an eval set needs a `cases:` list")
    return _parse(agent, doc, path, data)


def _parse(agent: str, doc: Document, path: str, data: dict[str, Any]) -> EvalSet:
    defaults = _dict(data.get("defaults"))
    d_threshold = _num(defaults.get("threshold"))
    d_errors: list[str] = []
    d_asserts = _specs(_list(defaults.get("assert")), doc, ["defaults", "assert"], d_errors)
    d_vars = _dict(defaults.get("vars"))
    set_repeat = _pos_int(data.get("repeat"), 1)
    set_min_pass = _pos_int(data.get("min_pass"), 0)
    system = data.get("system") if isinstance(data.get("system"), str) else None
    set_model = _dict(data.get("model")) if path.endswith(PROMPT_YML) else {}
    out = EvalSet(path, threshold=d_threshold, min_pass_rate=_num(data.get("threshold")))
    seen: dict[str, int] = {}
    for i, raw in enumerate(data["cases"]):
        if not isinstance(raw, dict):
            continue
        mapped_line = raw.get("_line")
        line = mapped_line if isinstance(mapped_line, int) else doc.line_of(["cases", i])
        cid = str(raw.get("id") or f"case-{i + 1}")
        seen[cid] = seen.get(cid, 0) + 1
        if seen[cid] > 1:  # results are matched by id against the base ref; keep ids unique
            cid = f"{cid}#{seen[cid]}"
        repeat = _pos_int(raw.get("repeat"), set_repeat)
        min_pass = _pos_int(raw.get("min_pass"), set_min_pass) or repeat
        expected = raw.get("expected")
        errors = list(d_errors)
        if isinstance(raw.get("_error"), str):
            errors.append(f"{path}: {raw['_error']}")
        asserts = d_asserts + _specs(_list(raw.get("assert")), doc, ["cases", i, "assert"], errors)
        out.cases.append(
            Case(
                agent=agent,
                set_path=path,
                id=cid,
                line=line,
                input=str(raw.get("input", "")),
                expected=None if expected is None else str(expected),
                vars={**d_vars, **_dict(raw.get("vars"))},
                context=tuple(str(c) for c in _list(raw.get("context"))),
                asserts=tuple(asserts),
                threshold=_num(raw.get("threshold"), d_threshold),
                repeat=repeat,
                min_pass=min(min_pass, repeat),
                system=raw.get("system") if isinstance(raw.get("system"), str) else system,
                error=errors[0] if errors else None,
                model=set_model.get("name") if isinstance(set_model.get("name"), str) else None,
                params=_dict(set_model.get("params")),
            )
        )
    return out


def _specs(
    raws: list[Any], doc: Document, at: list[str | int], errors: list[str]
) -> list[AssertionSpec]:
    """Assertion entries checked up front, so a typo fails before any model is called."""
    parse: Callable[[Any], AssertionSpec]
    try:
        from agentci.eval.assertions.registry import parse_spec as parse
    except ImportError:  # the registry is not in this build: accept entries as written
        parse = _spec
    out = []
    for j, raw in enumerate(raws):
        try:
            out.append(parse(raw))
        except AgentciError as exc:
            errors.append(
                f"{doc.path}:{doc.line_of([*at, j])}: {exc.message}"
                + (f" ({exc.hint})" if exc.hint else "")
            )
    return out


def _spec(raw: Any) -> AssertionSpec:
    if not isinstance(raw, dict):
        raise AgentciError("an assertion must be a mapping with a `type`")
    args = dict(raw.get("args") or {}) if isinstance(raw.get("args"), dict) else {}
    args.update({k: v for k, v in raw.items() if k not in _SPEC_KEYS})  # e.g. `metric`
    weight = raw.get("weight")
    return AssertionSpec(
        type=str(raw.get("type", "")),
        value=raw.get("value"),
        weight=float(weight)
        if isinstance(weight, (int, float)) and not isinstance(weight, bool)
        else 1.0,
        threshold=_num(raw.get("threshold")),
        args=args,
        name=raw.get("name") if isinstance(raw.get("name"), str) else None,
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any, default: float | None = None) -> float | None:
    return (
        float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default
    )


def _pos_int(value: Any, default: int) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else default
    )
