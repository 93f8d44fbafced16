from __future__ import annotations

import pytest

from agentci.eval.assertions.registry import SpecError, parse_spec
from agentci.eval.json_text import extract_json

SCHEMA = {
    "type": "object",
    "required": ["order_id", "refund"],
    "properties": {"order_id": {"type": "string"}, "refund": {"type": "boolean"}},
}


@pytest.mark.parametrize(
    ("text", "value", "where"),
    [
        ('{"a": 1}', {"a": 1}, "the output"),
        ('Here you go:\n```json\n{"a": [1, 2]}\n```\nThanks', {"a": [1, 2]}, "a fenced json block"),
        ("```\n[1, 2]\n```", [1, 2], "a fenced code block"),
        ('Sure! {"a": "b"} is the answer', {"a": "b"}, "the output at offset 6"),
        ("bad {not json} then [3]", [3], "the output at offset 20"),
    ],
)
def test_extract_json_finds_json_in_prose_and_fences(text, value, where):
    found = extract_json(text)
    assert found is not None
    assert (found.value, found.where) == (value, where)


def test_extract_json_none():
    assert extract_json("no json here {oops") is None


def test_is_json(check):
    res = check({"type": "is-json"}, '```json\n{"ok": true}\n```')
    assert (res.passed, res.reason) == (True, "a fenced json block is valid JSON")
    res = check({"type": "is-json"}, "I cannot do that.")
    assert not res.passed
    assert res.reason == "expected JSON in the output, found none in 'I cannot do that.'"


def test_is_json_with_schema(check):
    assert check({"type": "is-json", "value": SCHEMA}, '{"order_id": "A1", "refund": true}').passed
    res = check({"type": "is-json", "value": SCHEMA}, '{"order_id": 5}')
    assert not res.passed
    assert "does not match the schema" in res.reason


def test_json_schema_pass_and_fail_reasons(check):
    res = check(
        {"type": "json-schema", "value": SCHEMA},
        'Result:\n```json\n{"order_id": "A1", "refund": false}\n```',
    )
    assert res.passed and res.reason == "JSON in a fenced json block matches the schema"
    res = check({"type": "json-schema", "value": SCHEMA}, '{"order_id": 7, "refund": "yes"}')
    assert not res.passed
    assert res.reason == (
        "JSON in the output does not match the schema: order_id: 7 is not of type 'string' "
        "(and 1 more)"
    )
    res = check({"type": "json-schema", "value": SCHEMA}, "nothing")
    assert not res.passed and "found none" in res.reason


def test_boolean_schemas(check):
    assert check({"type": "json-schema", "value": True}, "[1]").passed
    res = check({"type": "json-schema", "value": False}, "[1]")
    assert not res.passed and "does not match the schema" in res.reason


def test_json_schema_given_as_json_string(check):
    assert check({"type": "json-schema", "value": '{"type": "array"}'}, "[1]").passed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "needs `value` as a JSON Schema mapping, got None"),
        (
            {"type": "objekt"},
            "`value` is not a valid JSON Schema: 'objekt' is not valid under any of the given schemas",
        ),
        ("{not json", "`value` is a string that is not JSON"),
        ([1], "needs `value` as a JSON Schema mapping, got [1]"),
    ],
)
def test_bad_schema_is_a_clear_error(value, message):
    with pytest.raises(SpecError) as info:
        parse_spec({"type": "json-schema", "value": value})
    assert message in str(info.value)
