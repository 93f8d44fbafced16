"""tool-call: the model called the named tool, with arguments matching a partial dict or a schema.

Forms:  {type: tool-call, value: draft_email}
        {type: tool-call, value: {name: draft_email, arguments: {to: "a@b.c"}}}
        {type: tool-call, value: draft_email, args: {schema: {type: object, required: [to]}}}
Native tool calls are checked first; for models without tool calling, a JSON object
{"name": ..., "arguments": {...}} in the text counts as a call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agentci.eval.assertions.base import (
    AssertionResult,
    AssertionSpec,
    Context,
    SpecError,
    register,
)
from agentci.eval.assertions.common import quote, result
from agentci.eval.providers.base import ToolCall


@dataclass(frozen=True)
class Expectation:
    name: str
    arguments: dict[str, Any] | None = None  # partial match
    schema: dict[str, Any] | None = None


def expectation(spec: AssertionSpec) -> Expectation:
    value = spec.value
    if isinstance(value, str) and value:
        name, rest = value, dict(spec.args)
    elif isinstance(value, dict) and isinstance(value.get("name"), str):
        name, rest = value["name"], {**spec.args, **{k: v for k, v in value.items() if k != "name"}}
    else:
        raise SpecError(
            f"assertion 'tool-call': `value` must be a tool name or {{name, arguments}}, got {value!r}",
            hint="e.g. {type: tool-call, value: {name: draft_email, arguments: {to: 'a@b.c'}}}",
        )
    arguments, schema = rest.get("arguments"), rest.get("schema")
    if arguments is not None and not isinstance(arguments, dict):
        raise SpecError(f"assertion 'tool-call': `arguments` must be a mapping, got {arguments!r}")
    if schema is not None:
        from agentci.eval.assertions.structured import schema_problem

        problem = schema_problem(schema) if isinstance(schema, dict) else "not a mapping"
        if problem:
            raise SpecError(
                f"assertion 'tool-call': `schema` is not a valid JSON Schema: {problem}"
            )
    return Expectation(name, arguments, schema)


def _subset(want: Any, got: Any) -> bool:
    if isinstance(want, dict):
        return isinstance(got, dict) and all(
            k in got and _subset(v, got[k]) for k, v in want.items()
        )
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(map(_subset, want, got))
    return bool(want == got)


def _calls_in_text(text: str) -> list[ToolCall]:
    from agentci.eval.json_text import extract_json

    found = extract_json(text)
    items = (
        found.value if found and isinstance(found.value, list) else [found.value] if found else []
    )
    calls = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            args = item.get("arguments", item.get("parameters", {}))
            if isinstance(args, str):
                try:
                    args = json.loads(args)
                except ValueError:
                    args = {}
            calls.append(ToolCall(item["name"], args if isinstance(args, dict) else {}))
    return calls


def _mismatch(exp: Expectation, call: ToolCall) -> str | None:
    if exp.arguments is not None and not _subset(exp.arguments, call.arguments):
        return (
            f"arguments {quote(json.dumps(call.arguments, ensure_ascii=False))} do not include "
            f"{quote(json.dumps(exp.arguments, ensure_ascii=False))}"
        )
    if exp.schema is not None:
        from agentci.eval.assertions.structured import _schema_errors

        errors = _schema_errors(call.arguments, exp.schema)
        if errors:
            return f"arguments do not match the schema: {errors[0]}"
    return None


@register("tool-call")
def tool_call(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    exp = expectation(spec)
    calls = list(ctx.response.tool_calls) or _calls_in_text(ctx.output)
    named = [c for c in calls if c.name == exp.name]
    if not named:
        seen = ", ".join(sorted({c.name for c in calls})) or "no tool"
        return result(spec.type, False, f"expected a call to {exp.name!r}; the model called {seen}")
    problems = [p for p in (_mismatch(exp, c) for c in named)]
    if any(p is None for p in problems):
        return result(spec.type, True, f"the model called {exp.name!r} with matching arguments")
    return result(spec.type, False, f"the model called {exp.name!r} but its {problems[0]}")
