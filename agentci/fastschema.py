"""A fast yes/no gate in front of jsonschema for agentci's own five schemas.

jsonschema's `iter_errors` costs ~0.2-0.4 ms per small document (a validator object per
level, reference resolution). Most documents are valid, and for those the answer is all
we need. `compile_schema` turns a schema that uses only the keywords below into nested
closures that answer "valid?" in a few microseconds; a document it does not call valid
goes through jsonschema as before, for the real messages. The gate is only ever allowed
to say "valid" when jsonschema would: any keyword it does not know disables it for that
schema, and any instance it is unsure about (numbers in enums, mixed uniqueItems) counts
as not valid. tests/test_fastschema.py checks it against jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

Check = Callable[[Any], bool]


@cache
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    """A JSON Schema `pattern` with ECMA-262 meaning: `$` is the end of the string.
    Python's `$` also matches before a final newline, so "bot\\n" would pass as a name."""
    return re.compile(re.sub(r"(?<!\\)\$$", r"\\Z", pattern))


#: Keywords that do not constrain instances.
_ANNOTATIONS = {
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "title",
    "description",
    "default",
    "deprecated",
    "examples",
    "readOnly",
    "writeOnly",
    "format",
}
_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
    "integer": lambda x: (
        (isinstance(x, int) and not isinstance(x, bool))
        or (isinstance(x, float) and x.is_integer())
    ),
}


class Unsupported(Exception):
    """The schema uses a keyword the gate does not implement."""


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _plain(x: Any) -> bool:
    """Values whose JSON equality is Python equality (no 1 == True == 1.0 confusion)."""
    return x is None or isinstance(x, str)


def compile_schema(root: Any, *, formats: bool = False) -> Check:
    """A predicate equivalent to jsonschema validity (or stricter); raises Unsupported.

    `formats`: the jsonschema validator it stands in for has a format checker."""
    cache: dict[str, Check] = {}

    def ref(pointer: str) -> Check:
        if pointer == "#":
            return lambda x: cache["#"](x)
        if not pointer.startswith("#/$defs/") or pointer.count("/") != 2:
            raise Unsupported(pointer)
        name = pointer[len("#/$defs/") :]
        if name not in cache:
            cache[name] = lambda x: False  # placeholder while compiling (recursive defs)
            compiled = build(root["$defs"][name])
            cache[name] = compiled
        return lambda x: cache[name](x)

    def build(schema: Any) -> Check:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        if not isinstance(schema, dict):
            raise Unsupported(repr(schema))
        checks: list[Check] = []
        for key, value in schema.items():
            if key == "format" and formats:
                checks.append(_format(value))
                continue
            if key in _ANNOTATIONS or key == "properties":
                continue
            checks.append(_keyword(key, value, schema, build, ref))
        props = tuple((k, build(v)) for k, v in schema.get("properties", {}).items())
        if props:

            def properties(x: Any) -> bool:
                if isinstance(x, dict):
                    for k, check in props:
                        if k in x and not check(x[k]):
                            return False
                return True

            checks.append(properties)
        return _all_of(checks)

    cache["#"] = build(root)
    return cache["#"]


def _all_of(checks: list[Check]) -> Check:
    """One predicate for all of `checks` (plain calls: this runs per value of a big set)."""
    if not checks:
        return lambda x: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda x: first(x) and second(x)
    chain = tuple(checks)

    def every(x: Any) -> bool:
        for check in chain:  # noqa: SIM110 (a loop: no generator object per value)
            if not check(x):
                return False
        return True

    return every


def _keyword(
    key: str,
    value: Any,
    schema: dict[str, Any],
    build: Callable[[Any], Check],
    ref: Callable[[str], Check],
) -> Check:
    if key == "type":
        names = value if isinstance(value, list) else [value]
        if not all(n in _TYPES for n in names):
            raise Unsupported(f"type {value!r}")
        preds = [_TYPES[n] for n in names]
        if len(preds) == 1:
            return preds[0]
        return lambda x: any(p(x) for p in preds)
    if key == "$ref":
        return ref(value)
    if key == "required":
        needed = tuple(value)

        def required(x: Any) -> bool:
            if isinstance(x, dict):
                for k in needed:
                    if k not in x:
                        return False
            return True

        return required
    if key == "additionalProperties":
        known = set(schema.get("properties", {}))
        if schema.get("patternProperties"):
            raise Unsupported("patternProperties")
        extra = build(value)

        def additional(x: Any) -> bool:
            if isinstance(x, dict):
                for k, v in x.items():
                    if k not in known and not extra(v):
                        return False
            return True

        return additional
    if key == "items":
        item = build(value)

        def items(x: Any) -> bool:
            if isinstance(x, list):
                for v in x:
                    if not item(v):
                        return False
            return True

        return items
    if key == "oneOf":
        options = [build(s) for s in value]
        return lambda x: sum(1 for o in options if o(x)) == 1
    if key == "anyOf":
        options = [build(s) for s in value]
        return lambda x: any(o(x) for o in options)
    if key in ("enum", "const"):
        allowed = value if key == "enum" else [value]
        if not all(_plain(v) for v in allowed):
            raise Unsupported(key)
        return lambda x: _plain(x) and x in allowed
    if key == "pattern":
        rx = ecma_pattern(value)
        return lambda x: not isinstance(x, str) or rx.search(x) is not None
    if key == "minLength":
        return lambda x: not isinstance(x, str) or len(x) >= value
    if key == "maxLength":
        return lambda x: not isinstance(x, str) or len(x) <= value
    if key == "minimum":
        return lambda x: not _num(x) or x >= value
    if key == "maximum":
        return lambda x: not _num(x) or x <= value
    if key == "exclusiveMinimum":
        return lambda x: not _num(x) or x > value
    if key == "exclusiveMaximum":
        return lambda x: not _num(x) or x < value
    if key == "propertyNames":
        key_check = build(value)
        return lambda x: not isinstance(x, dict) or all(key_check(k) for k in x)
    if key == "minItems":
        return lambda x: not isinstance(x, list) or len(x) >= value
    if key == "maxItems":
        return lambda x: not isinstance(x, list) or len(x) <= value
    if key == "minProperties":
        return lambda x: not isinstance(x, dict) or len(x) >= value
    if key == "maxProperties":
        return lambda x: not isinstance(x, dict) or len(x) <= value
    if key == "uniqueItems":
        if not value:
            return lambda x: True
        return lambda x: (
            not isinstance(x, list)
            or (all(isinstance(v, str) for v in x) and len(set(x)) == len(x))
        )
    raise Unsupported(key)


def _format(name: Any) -> Check:
    if name == "regex":  # what jsonschema's checker does for "regex"

        def is_regex(x: Any) -> bool:
            if not isinstance(x, str):
                return True
            try:
                re.compile(x)
            except re.error:
                return False
            return True

        return is_regex
    # Other formats depend on optional packages jsonschema may or may not find: unsure.
    return lambda x: not isinstance(x, str)


def gate(schema: Any, *, formats: bool = False) -> Check | None:
    try:
        return compile_schema(schema, formats=formats)
    except (Unsupported, re.error, KeyError, TypeError):
        return None
