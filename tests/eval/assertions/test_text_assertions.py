from __future__ import annotations

import pytest

from agentci.eval.assertions.registry import SpecError, parse_spec

OUT = "You can return any item within 30 days of delivery."


@pytest.mark.parametrize(
    ("entry", "output", "passed", "reason"),
    [
        ({"type": "equals", "value": "Yes"}, "  Yes\n", True, "output equals 'Yes'"),
        (
            {"type": "equals", "value": "Yes"},
            "yes",
            False,
            "expected output to equal 'Yes', got 'yes'",
        ),
        (
            {"type": "equals", "value": {"a": 1}},
            '```json\n{"a": 1}\n```',
            True,
            "output is the JSON '{\"a\": 1}'",
        ),
        ({"type": "contains", "value": "30 days"}, OUT, True, "output contains '30 days'"),
        (
            {"type": "contains", "value": "30 Days"},
            OUT,
            False,
            "expected output to contain '30 Days', got ",
        ),
        (
            {"type": "icontains", "value": "30 DAYS"},
            OUT,
            True,
            "output contains '30 DAYS' (ignoring case)",
        ),
        (
            {"type": "icontains", "value": "refund"},
            OUT,
            False,
            "expected output to contain 'refund' (ignoring case)",
        ),
        ({"type": "not-contains", "value": "AI"}, OUT, True, "output does not contain 'AI'"),
        (
            {"type": "not-contains", "value": "30"},
            OUT,
            False,
            "expected output not to contain '30', but it does",
        ),
        (
            {"type": "not-icontains", "value": "as an ai"},
            "As an AI, I cannot",
            False,
            "expected output not to contain 'as an ai' (ignoring case), but it does",
        ),
        (
            {"type": "not-icontains", "value": "as an ai"},
            OUT,
            True,
            "output does not contain 'as an ai' (ignoring case)",
        ),
        (
            {"type": "starts-with", "value": "You can"},
            "\n You can go",
            True,
            "output starts with 'You can'",
        ),
        (
            {"type": "starts-with", "value": "Sure"},
            OUT,
            False,
            "expected output to start with 'Sure'",
        ),
        (
            {"type": "regex", "value": r"\d+ days"},
            OUT,
            True,
            r"output matches /\d+ days/ at '30 days'",
        ),
        (
            {"type": "regex", "value": r"\d+ weeks"},
            OUT,
            False,
            r"expected output to match /\d+ weeks/",
        ),
        ({"type": "not-regex", "value": r"(?i)as an ai"}, OUT, True, "output does not match"),
        (
            {"type": "not-regex", "value": r"\d+"},
            OUT,
            False,
            "expected output not to match /\\d+/, but '30' does",
        ),
        ({"type": "contains-any", "value": ["weeks", "days"]}, OUT, True, "output contains 'days'"),
        (
            {"type": "contains-any", "value": "weeks, months"},
            OUT,
            False,
            "expected output to contain any of 'weeks', 'months'",
        ),
        (
            {"type": "contains-all", "value": ["return", "30"]},
            OUT,
            True,
            "output contains all of 'return', '30'",
        ),
        ({"type": "contains-all", "value": ["return", "refund"]}, OUT, False, "missing 'refund'"),
    ],
)
def test_text_assertions(check, entry, output, passed, reason):
    res = check(entry, output)
    assert res.passed is passed
    assert res.score == (1.0 if passed else 0.0) or entry["type"] == "contains-all"
    assert reason in res.reason
    assert res.type == entry["type"]


def test_contains_all_gives_partial_credit(check):
    res = check({"type": "contains-all", "value": ["a", "b", "c", "d"]}, "a b")
    assert not res.passed
    assert res.score == 0.5


def test_contains_any_ignore_case(check):
    assert not check({"type": "contains-any", "value": ["DAYS"]}, OUT).passed
    assert check(
        {"type": "contains-any", "value": ["DAYS"], "args": {"ignore_case": True}}, OUT
    ).passed


def test_values_are_templated_from_expected_and_vars(check):
    res = check({"type": "icontains", "value": "{{expected}}"}, OUT, expected="30 days")
    assert res.passed and "'30 days'" in res.reason
    res = check({"type": "contains", "value": "{{ days }} days"}, OUT, vars={"days": 30})
    assert res.passed
    # Unknown names stay as written rather than silently becoming empty (which would always match).
    res = check({"type": "contains", "value": "{{nope}}"}, OUT)
    assert not res.passed and "{{nope}}" in res.reason


def test_weight_is_carried_to_the_result(check):
    assert check({"type": "contains", "value": "30", "weight": 2.5}, OUT).weight == 2.5
    assert check({"type": "contains", "value": "30"}, OUT).weight == 1.0


def test_long_output_is_truncated_in_reasons(check):
    res = check({"type": "contains", "value": "zzz"}, "word " * 500)
    assert len(res.reason) < 200
    assert "…" in res.reason


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"type": "regex", "value": "(unclosed"},
            "assertion 'regex': invalid regular expression '(unclosed': missing ), unterminated subpattern",
        ),
        (
            {"type": "not-regex", "value": "*x"},
            "assertion 'not-regex': invalid regular expression '*x': nothing to repeat",
        ),
        ({"type": "icontain", "value": "x"}, "assertion 'icontain': unknown type"),
        ({"type": "contains"}, "assertion 'contains': needs a non-empty string `value`, got None"),
        ({"type": "contains", "value": ""}, "needs a non-empty string `value`"),
        (
            {"type": "contains-any", "value": []},
            "assertion 'contains-any': needs `value` as a list of strings",
        ),
        (
            {"type": "contains", "value": "x", "weight": -1},
            "assertion 'contains': weight must be a number >= 0, got -1",
        ),
        (
            {"type": "contains", "value": "x", "weight": "heavy"},
            "weight must be a number >= 0, got 'heavy'",
        ),
        (
            {"type": "contains", "value": "x", "threshold": "high"},
            "threshold must be a number, got 'high'",
        ),
        (
            {"type": "similar", "value": "x", "threshold": 1.5},
            "threshold must be between 0 and 1, got 1.5",
        ),
        (
            {"type": "latency", "value": "fast"},
            "assertion 'latency': needs `value` as a positive number, got 'fast'",
        ),
        ({"type": "max-tokens", "value": 0}, "needs `value` as a positive number, got 0"),
        ({"value": "x"}, "an assertion must be a mapping with a `type`"),
        ("contains", "an assertion must be a mapping with a `type`"),
        ({"type": "contains", "value": "x", "args": [1]}, "args must be a mapping"),
    ],
)
def test_bad_specs_give_clear_errors(entry, message):
    with pytest.raises(SpecError) as info:
        parse_spec(entry)
    assert message in str(info.value)


def test_unknown_type_suggests_the_closest():
    with pytest.raises(SpecError) as info:
        parse_spec({"type": "icontain", "value": "x"})
    assert info.value.hint == "did you mean 'icontains'?"


def test_regex_error_hints_at_yaml_escaping():
    with pytest.raises(SpecError) as info:
        parse_spec({"type": "regex", "value": "\\"})
    assert "backslash" in info.value.hint


def test_extra_keys_travel_in_args():
    spec = parse_spec(
        {"type": "g-eval", "value": "polite", "metric": "politeness", "args": {"x": 1}}
    )
    assert spec.args == {"metric": "politeness", "x": 1}
