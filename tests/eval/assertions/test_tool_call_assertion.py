from __future__ import annotations

import pytest

from agentci.eval.assertions.registry import SpecError, parse_spec
from agentci.eval.providers.base import Response, ToolCall

CALLED = Response(
    text="",
    tool_calls=(
        ToolCall("read_knowledge_base", {"query": "refunds"}),
        ToolCall(
            "draft_email",
            {"to": "ann@example.com", "subject": "Refund", "meta": {"lang": "en", "n": 1}},
        ),
    ),
)


def test_named_tool_called(check):
    res = check({"type": "tool-call", "value": "draft_email"}, "", response=CALLED)
    assert (res.passed, res.reason) == (
        True,
        "the model called 'draft_email' with matching arguments",
    )


def test_tool_not_called_lists_what_was_called(check):
    res = check({"type": "tool-call", "value": "escalate"}, "", response=CALLED)
    assert not res.passed
    assert (
        res.reason
        == "expected a call to 'escalate'; the model called draft_email, read_knowledge_base"
    )
    res = check({"type": "tool-call", "value": "escalate"}, "Sure, I can help.")
    assert res.reason == "expected a call to 'escalate'; the model called no tool"


def test_partial_arguments(check):
    ok = {
        "type": "tool-call",
        "value": {
            "name": "draft_email",
            "arguments": {"to": "ann@example.com", "meta": {"lang": "en"}},
        },
    }
    assert check(ok, "", response=CALLED).passed
    bad = {
        "type": "tool-call",
        "value": {"name": "draft_email", "arguments": {"to": "bob@example.com"}},
    }
    res = check(bad, "", response=CALLED)
    assert not res.passed
    assert res.reason.startswith("the model called 'draft_email' but its arguments ")
    assert 'do not include \'{"to": "bob@example.com"}\'' in res.reason


def test_arguments_against_a_schema(check):
    schema = {
        "type": "object",
        "required": ["to", "body"],
        "properties": {"to": {"type": "string"}},
    }
    res = check(
        {"type": "tool-call", "value": "draft_email", "args": {"schema": schema}},
        "",
        response=CALLED,
    )
    assert not res.passed
    assert (
        res.reason
        == "the model called 'draft_email' but its arguments do not match the schema: (root): 'body' is a required property"
    )
    schema["required"] = ["to"]
    assert check(
        {"type": "tool-call", "value": "draft_email", "args": {"schema": schema}},
        "",
        response=CALLED,
    ).passed


def test_json_tool_call_in_text_counts_for_models_without_tool_calling(check):
    text = 'I will look it up.\n```json\n{"name": "read_knowledge_base", "arguments": "{\\"query\\": \\"refunds\\"}"}\n```'
    assert check(
        {
            "type": "tool-call",
            "value": {"name": "read_knowledge_base", "arguments": {"query": "refunds"}},
        },
        text,
    ).passed


@pytest.mark.parametrize(
    ("value", "args", "message"),
    [
        (None, {}, "`value` must be a tool name or {name, arguments}, got None"),
        ({"arguments": {}}, {}, "`value` must be a tool name or {name, arguments}"),
        ("draft_email", {"arguments": [1]}, "`arguments` must be a mapping, got [1]"),
        ("draft_email", {"schema": {"type": 5}}, "`schema` is not a valid JSON Schema"),
    ],
)
def test_bad_tool_call_specs(value, args, message):
    with pytest.raises(SpecError) as info:
        parse_spec({"type": "tool-call", "value": value, "args": args})
    assert message in str(info.value)
