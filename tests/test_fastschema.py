"""The fast validity gate and the merged 2020-12 metaschema agree with jsonschema.

The gate may only say "valid" when jsonschema does (soundness); on documents it
understands it must say so (or validate stays slow). The merged metaschema must
accept and reject exactly what the official one does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from agentci.documents import parse_text
from agentci.fastschema import compile_schema, gate
from agentci.schema import SCHEMAS, _gate, load_schema
from agentci.validate.metaschema import (
    MERGED_FILE,
    build_merged_2020_12,
    merged_2020_12,
    schema_errors,
)

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _keys(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for k, v in node.get("properties", {}).items():
            out.add(k)
            _keys(v, out)
        for v in node.values():
            _keys(v, out)
    elif isinstance(node, list):
        for v in node:
            _keys(v, out)
    return out


KEYS = sorted(set().union(*(_keys(load_schema(n), set()) for n in SCHEMAS)) | {"zzz"})
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from(["a", "/x", "local", "wait", "regex", "icontains", "object", "x y", "A_B", ""]),
)
docs = st.recursive(
    leaves,
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.sampled_from(KEYS), c, max_size=5)
    ),
    max_leaves=25,
)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@SETTINGS
@given(doc=docs)
def test_gate_is_sound_for_agentci_schemas(name: str, doc: Any) -> None:
    fast = _gate(name)
    assert fast is not None, f"the {name} schema uses a keyword the gate lacks"
    valid = Draft202012Validator(load_schema(name)).is_valid(doc)
    assert not fast(doc) or valid
    if valid and _plain_values(doc):
        assert fast(doc)


def _plain_values(doc: Any) -> bool:
    """No numbers where the gate is allowed to be unsure (enum/const/uniqueItems on non-strings)."""
    if isinstance(doc, dict):
        return all(_plain_values(v) for v in doc.values())
    if isinstance(doc, list):
        return all(isinstance(v, str) for v in doc) or all(_plain_values(v) for v in doc)
    return True


EXAMPLE_FILES = sorted(
    p
    for p in (ROOT / "examples").rglob("*")
    if p.suffix in (".yaml", ".json")
    and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
)


@pytest.mark.parametrize(
    "path", EXAMPLE_FILES, ids=lambda p: p.relative_to(ROOT / "examples").as_posix()
)
def test_gate_passes_every_example_file(path: Path) -> None:
    rel = path.relative_to(ROOT / "examples").as_posix()
    name = (
        "config"
        if path.name == "agentci.yaml"
        else "swarm"
        if path.name == "swarm.yaml"
        else "tools"
        if path.name == "tools.json"
        else "eval-set"
        if "/evals/" in rel
        else "agent"
    )
    doc = parse_text(path.name, path.read_text())
    assert Draft202012Validator(load_schema(name)).is_valid(doc.data)
    assert _gate(name)(doc.data), rel


def test_merged_metaschema_file_is_current() -> None:
    assert merged_2020_12() == json.loads(json.dumps(build_merged_2020_12()))
    assert (ROOT / "agentci" / "validate" / MERGED_FILE).exists()


schema_keywords = [
    "type",
    "properties",
    "items",
    "required",
    "minLength",
    "maximum",
    "enum",
    "const",
    "pattern",
    "$ref",
    "$defs",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "if",
    "then",
    "additionalProperties",
    "prefixItems",
    "dependentRequired",
    "dependencies",
    "definitions",
    "format",
    "minProperties",
    "uniqueItems",
    "contentSchema",
    "unevaluatedProperties",
    "$id",
    "$anchor",
    "patternProperties",
    "propertyNames",
    "multipleOf",
    "title",
    "x-extension",
]
schema_values = st.one_of(
    st.sampled_from(
        ["string", "object", "strng", "(", "^a+$", "#/$defs/a", "#", "a b", "email", "", "b"]
    ),
    st.integers(-2, 3),
    st.booleans(),
    st.none(),
    st.floats(-1, 1, allow_nan=False),
)
schemas = st.recursive(
    schema_values,
    lambda c: st.one_of(
        st.lists(c, max_size=3),
        st.dictionaries(st.sampled_from(schema_keywords), c, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "q"]), c, max_size=3),
    ),
    max_leaves=20,
).filter(lambda s: isinstance(s, (dict, bool)))


def _official(schema: Any) -> bool:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return False
    return True


@SETTINGS
@given(schema=schemas)
def test_merged_metaschema_matches_the_official_one(schema: Any) -> None:
    official = _official(schema)
    assert (schema_errors(schema) == []) == official
    fast = gate(merged_2020_12(), formats=True)
    assert fast is not None
    assert not fast(schema) or official


@pytest.mark.parametrize(
    ("schema", "ok"),
    [
        ({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}, True),
        ({"type": "strng"}, False),
        ({"properties": {"a": {"pattern": "("}}}, False),
        ({"minProperties": -1}, False),
        ({"items": [{}]}, False),
        (
            {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]},
            True,
        ),
        (
            {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "strng"}]},
            False,
        ),
        ({"dependencies": {"a": ["b", 1]}}, False),
        (True, True),
    ],
)
def test_schema_errors_examples(schema: Any, ok: bool) -> None:
    assert (schema_errors(schema) == []) is ok is _official_any(schema)


def _official_any(schema: Any) -> bool:
    from jsonschema.validators import validator_for

    try:
        validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError:
        return False
    return True


def test_unknown_keywords_disable_the_gate() -> None:
    assert gate({"type": "object", "patternProperties": {"^a": {}}}) is None
    assert gate({"$ref": "https://example.com/x"}) is None
    assert compile_schema({"enum": ["a", None]})(None) is True
