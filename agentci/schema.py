"""The five JSON Schemas shipped in the package, and schema findings with key path and line."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from agentci.documents import Document
from agentci.findings import Finding, error, warning

#: name -> (schema file, what it describes)
SCHEMAS: dict[str, tuple[str, str]] = {
    "agent": ("agent.schema.json", "agents/<name>/agent.yaml"),
    "tools": ("tools.schema.json", "agents/<name>/tools.json"),
    "swarm": ("swarm.schema.json", "swarm.yaml"),
    "eval-set": ("eval-set.schema.json", "agents/<name>/evals/*.yaml"),
    "config": ("config.schema.json", "agentci.yaml"),
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    filename = SCHEMAS[name][0]
    schema: dict[str, Any] = json.loads(resources.files("agentci.schemas").joinpath(filename).read_text("utf-8"))
    if name == "eval-set":
        # The allowed assertion types are the assertion registry's list, not a copy of it.
        from agentci.eval.assertions.names import ASSERTION_TYPES

        schema["$defs"]["assertion"]["properties"]["type"]["enum"] = sorted(ASSERTION_TYPES)
    return schema


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(name))


@cache
def _gate(name: str) -> Any:
    from agentci.validate.fastschema import gate

    return gate(load_schema(name))


def check(doc: Document, name: str) -> list[Finding]:
    """Validate a parsed document against a schema. Unknown keys are warnings."""
    if doc.data is None:
        return []
    fast = _gate(name)
    if fast is not None and fast(doc.data):  # valid: skip jsonschema's slower walk
        return []
    from jsonschema.exceptions import best_match

    out: list[Finding] = []
    for err in sorted(_validator(name).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        if err.validator in ("oneOf", "anyOf") and err.context:
            err = best_match(err.context) or err
        path = list(err.absolute_path)
        where = _key_path(path)
        if err.validator == "additionalProperties":
            known = sorted(err.schema.get("properties", {}))
            extras = sorted(set(err.instance) - set(known)) if isinstance(err.instance, dict) else []
            for key in extras:
                out.append(
                    warning(
                        "unknown-key",
                        doc.path,
                        doc.line_of([*path, key]),
                        f"unknown key {key!r} at {_key_path([*path, key])}",
                        f"expected one of: {', '.join(known)}" if known else "remove it",
                    )
                )
            continue
        out.append(
            error(
                "schema",
                doc.path,
                doc.line_of(path),
                f"{where}: {_message(err)}",
                _hint(err, name),
            )
        )
    return out


def _key_path(path: list[Any]) -> str:
    if not path:
        return "(top level)"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(err: Any) -> str:
    if err.validator == "required":
        return err.message.replace("is a required property", "is required")
    if err.validator == "type":
        return f"expected {err.validator_value}, got {type(err.instance).__name__}"
    if err.validator == "enum":
        allowed = ", ".join(map(str, err.validator_value))
        return f"{str(err.instance)[:80]!r} is not one of: {allowed}"
    if err.validator == "pattern":
        return f"{str(err.instance)[:80]!r} does not match {err.validator_value}"
    msg: str = err.message
    return msg if len(msg) < 200 else msg[:200] + "…"


def _hint(err: Any, name: str) -> str:
    return f"see `agentci schema {name}` for the allowed shape"
