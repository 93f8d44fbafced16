"""JSON checks: is-json (optionally against a schema) and json-schema.

Models wrap JSON in prose or fenced code blocks, so the JSON is looked for as
`agentci.eval.json_text.extract_json` does (the judge reads its verdicts the same way).
jsonschema is imported only when a schema is checked.
"""

from __future__ import annotations

import json
from typing import Any

from agentci.eval.assertions.base import AssertionResult, AssertionSpec, Context, register
from agentci.eval.assertions.common import quote, result
from agentci.eval.json_text import extract_json


def _load_schema(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def schema_problem(schema: Any) -> str | None:
    """Why `schema` is not a usable JSON Schema, or None."""
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        path = "/".join(str(p) for p in exc.absolute_path)
        return f"{exc.message}" + (f" (at {path})" if path else "")
    return None


def _schema_errors(instance: Any, schema: Any) -> list[str]:
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    out = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in err.absolute_path) or "(root)"
        out.append(f"{path}: {err.message}")
    return out


@register("is-json", "json-schema")
def is_json(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    found = extract_json(ctx.output)
    if found is None:
        return result(
            spec.type, False, f"expected JSON in the output, found none in {quote(ctx.output)}"
        )
    if spec.value is None:
        return result(spec.type, True, f"{found.where} is valid JSON")
    errors = _schema_errors(found.value, _load_schema(spec.value))
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return result(
            spec.type, False, f"JSON in {found.where} does not match the schema: {errors[0]}{more}"
        )
    return result(spec.type, True, f"JSON in {found.where} matches the schema")
