"""Turning eval-set entries into specs and running them.

`parse_spec` checks an entry up front (unknown type, bad weight, a regex that does not
compile, a schema that is not a schema) so a typo fails before any model is called;
`run_assertion` imports the implementing module on first use, so `agentci validate`
never pays for deepeval or jsonschema.
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
from typing import Any

from agentci.assertion_types import ASSERTION_MODULES, JUDGED_TYPES
from agentci.eval.assertions.base import (
    _REGISTRY,
    AssertionResult,
    AssertionSpec,
    Check,
    Context,
    SpecError,
)

_FIELDS = {"type", "value", "weight", "threshold", "args", "name"}
# What `value` must be, per type: "str", "str?" (optional), "list", "number", "any", "schema".
_VALUE_KIND: dict[str, str] = {
    "equals": "any",
    "contains": "str",
    "icontains": "str",
    "not-contains": "str",
    "not-icontains": "str",
    "starts-with": "str",
    "regex": "str",
    "not-regex": "str",
    "contains-any": "list",
    "contains-all": "list",
    "is-json": "schema?",
    "json-schema": "schema",
    "similar": "str?",
    "llm-rubric": "str",
    "g-eval": "str",
    "answer-relevancy": "none",
    "faithfulness": "none",
    "latency": "number",
    "max-tokens": "number",
    "tool-call": "any",
    "llm-choice": "str",
}


def _fail(atype: str, message: str, hint: str = "") -> SpecError:
    return SpecError(f"assertion {atype!r}: {message}", hint=hint)


def as_list(value: Any) -> list[str]:
    """contains-any/-all take a list, or a comma-separated string as promptfoo allows."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v) for v in value]
    return []


def parse_spec(data: Any) -> AssertionSpec:
    """One `assert:` entry (a dict from YAML/JSON) as an AssertionSpec; raises SpecError."""
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise SpecError(
            "an assertion must be a mapping with a `type`",
            hint='write e.g. {type: icontains, value: "30 days"}',
        )
    atype = data["type"]
    if atype not in ASSERTION_MODULES:
        close = difflib.get_close_matches(atype, ASSERTION_MODULES, n=1)
        raise _fail(
            atype,
            "unknown type",
            f"did you mean {close[0]!r}?"
            if close
            else f"use one of: {', '.join(sorted(ASSERTION_MODULES))}",
        )
    weight = data.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise _fail(atype, f"weight must be a number >= 0, got {weight!r}")
    threshold = data.get("threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, (int, float))
    ):
        raise _fail(atype, f"threshold must be a number, got {threshold!r}")
    args = data.get("args") or {}
    if not isinstance(args, dict):
        raise _fail(atype, "args must be a mapping")
    # Extra keys (e.g. `metric`, `criteria`) travel in args rather than being dropped.
    args = {**{k: v for k, v in data.items() if k not in _FIELDS}, **args}
    name = data.get("name")
    spec = AssertionSpec(
        type=atype,
        value=data.get("value"),
        weight=float(weight),
        threshold=float(threshold) if threshold is not None else None,
        args=args,
        name=name if isinstance(name, str) else None,
    )
    _check_value(spec)
    return spec


def _check_value(spec: AssertionSpec) -> None:
    kind, value, atype = _VALUE_KIND[spec.type], spec.value, spec.type
    if kind == "str" and not (isinstance(value, str) and value):
        raise _fail(atype, f"needs a non-empty string `value`, got {value!r}")
    if kind == "str?" and value is not None and not isinstance(value, str):
        raise _fail(atype, f"`value` must be a string, got {value!r}")
    if kind == "list" and not as_list(value):
        raise _fail(atype, f"needs `value` as a list of strings, got {value!r}")
    if kind == "number" and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
    ):
        raise _fail(atype, f"needs `value` as a positive number, got {value!r}")
    if kind in ("schema", "schema?"):
        if value is None and kind == "schema?":
            return
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise _fail(
                    atype,
                    "`value` is a string that is not JSON",
                    "give the JSON Schema as a YAML mapping",
                ) from None
        if not isinstance(value, (dict, bool)):  # true/false are valid (trivial) schemas
            raise _fail(atype, f"needs `value` as a JSON Schema mapping, got {value!r}")
        from agentci.eval.assertions.structured import schema_problem

        problem = schema_problem(value)
        if problem:
            raise _fail(atype, f"`value` is not a valid JSON Schema: {problem}")
    if atype in ("regex", "not-regex"):
        try:
            re.compile(value)
        except re.error as exc:
            raise _fail(
                atype,
                f"invalid regular expression {value!r}: {exc}",
                "YAML double quotes need \\\\ for a backslash; single quotes keep it",
            ) from None
    if atype == "tool-call":
        from agentci.eval.assertions.tool_call import expectation

        expectation(spec)  # raises SpecError when the shape is wrong
    if (
        spec.threshold is not None
        and atype in JUDGED_TYPES | {"similar"}
        and not 0 <= spec.threshold <= 1
    ):
        raise _fail(atype, f"threshold must be between 0 and 1, got {spec.threshold}")


def check_for(atype: str) -> Check:
    if atype not in _REGISTRY:
        module = ASSERTION_MODULES.get(atype)
        if module is None:
            raise _fail(atype, "unknown type")
        importlib.import_module(f"agentci.eval.assertions.{module}")
    return _REGISTRY[atype]


def run_assertion(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    """Run one assertion; the result carries the spec's weight. Raises only if it cannot run."""
    result = check_for(spec.type)(spec, ctx)
    if result.weight == spec.weight and 0.0 <= result.score <= 1.0:
        return result  # already what would be made below (the common case, once per answer)
    return AssertionResult(
        type=result.type,
        passed=result.passed,
        score=max(0.0, min(1.0, result.score)),
        reason=result.reason,
        weight=spec.weight,
    )
