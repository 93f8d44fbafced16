"""The five JSON Schemas shipped in the package, and schema findings with key path and line."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from agentci.documents import PARSE_CACHE_MIN_CHARS, Document
from agentci.fastschema import ecma_pattern, gate
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
    # next to this file in the installed package; importlib.resources would cost `validate` more
    # than parsing the schema (it imports zipfile & co. for zip installs agentci never uses)
    schema: dict[str, Any] = json.loads(
        (Path(__file__).parent / "schemas" / filename).read_text("utf-8")
    )
    if name == "eval-set":
        # The allowed assertion types are the assertion registry's list, not a copy of it.
        from agentci.assertion_types import ASSERTION_TYPES

        schema["$defs"]["assertion"]["properties"]["type"]["enum"] = sorted(ASSERTION_TYPES)
    if name == "config":
        # The defaults are the config dataclasses', not a copy of them.
        from agentci.config import Config, ModelRef

        props = schema["properties"]
        _fill_defaults(props, Config())
        for key in ("judge", "embedding"):
            _fill_defaults(props["eval"]["properties"][key]["properties"], ModelRef())
    return schema


def _fill_defaults(props: dict[str, Any], defaults: Any) -> None:
    """Set each property's JSON Schema `default` from the dataclass instance `defaults`."""
    import dataclasses

    for f in dataclasses.fields(defaults):
        prop, value = props.get(f.name), getattr(defaults, f.name)
        if not isinstance(prop, dict) or value is None:
            continue
        if dataclasses.is_dataclass(value):
            _fill_defaults(prop.get("properties", {}), value)
        elif isinstance(value, (str, int, float, bool)):
            prop["default"] = value
        elif isinstance(value, (list, tuple, dict)) and value:
            prop["default"] = list(value) if not isinstance(value, dict) else dict(value)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator, validators

    strict = validators.extend(Draft202012Validator, {"pattern": _pattern})
    return strict(load_schema(name))


@cache
def _gate(name: str) -> Any:
    return gate(load_schema(name))


def _parse_cache() -> Any:
    from agentci import parse_cache

    return parse_cache


def check(doc: Document, name: str) -> list[Finding]:
    """Validate a parsed document against a schema. Unknown keys are warnings."""
    if doc.data is None:
        return []
    big = len(doc.text) >= PARSE_CACHE_MIN_CHARS  # a big set's check costs ~0.1 s: once per text
    if big and _parse_cache().schema_clean(doc, name, load_schema(name)):
        return []
    fast = _gate(name)
    if fast is not None and fast(doc.data):  # valid: skip jsonschema's slower walk
        if big:
            _parse_cache().remember_schema_clean(doc, name, load_schema(name))
        return []
    from jsonschema.exceptions import best_match

    out: list[Finding] = []
    errors: list[Any] = []
    for err in _validator(name).iter_errors(doc.data):
        if err.validator in ("oneOf", "anyOf") and err.context:
            # Report what is wrong inside the alternative whose type fits (a tools *list*
            # missing a description), not that the list is not the other alternative's object.
            fitting = [
                e
                for e in err.context
                if _branch_fits(err, e.schema_path[0] if e.schema_path else None)
            ]
            if fitting and len({e.schema_path[0] for e in fitting}) == 1:
                errors += fitting
                continue
            err = best_match(err.context) or err
        errors.append(err)
    for err in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        path = list(err.absolute_path)
        where = _key_path(path)
        if err.validator == "additionalProperties":
            known = sorted(err.schema.get("properties", {}))
            extras = (
                sorted(set(err.instance) - set(known)) if isinstance(err.instance, dict) else []
            )
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


_JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def _branch_fits(err: Any, index: Any) -> bool:
    """Does the instance have the `type` the oneOf/anyOf branch at `index` asks for?"""
    branches = err.validator_value
    if not isinstance(index, int) or not isinstance(branches, list) or index >= len(branches):
        return False
    wanted = branches[index].get("type") if isinstance(branches[index], dict) else None
    return (
        isinstance(wanted, str)
        and wanted in _JSON_TYPES
        and isinstance(err.instance, _JSON_TYPES[wanted])
    )


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
