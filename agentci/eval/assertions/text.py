"""String checks on the output: equals, contains (and case-insensitive / negated), starts-with,
regex, contains-any, contains-all. Values may use {{expected}}, {{input}} and case vars."""

from __future__ import annotations

import json
import re

from agentci.eval.assertions.base import AssertionResult, AssertionSpec, Context, register
from agentci.eval.assertions.common import quote, render, result
from agentci.eval.assertions.registry import as_list


@register("equals")
def equals(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    if isinstance(spec.value, str):
        want = render(spec.value, ctx).strip()
        ok = ctx.output.strip() == want
        return result(
            spec.type,
            ok,
            f"output equals {quote(want)}"
            if ok
            else f"expected output to equal {quote(want)}, got {quote(ctx.output)}",
        )
    # A structured value compares as JSON, so key order and spacing do not matter.
    from agentci.eval.json_text import extract_json

    found = extract_json(ctx.output)
    ok = found is not None and found.value == spec.value
    want_text = json.dumps(spec.value, ensure_ascii=False)
    return result(
        spec.type,
        ok,
        f"output is the JSON {quote(want_text)}"
        if ok
        else f"expected the JSON {quote(want_text)}, got {quote(ctx.output)}",
    )


@register("contains", "icontains", "not-contains", "not-icontains")
def contains(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    needle = render(str(spec.value), ctx)
    fold = spec.type.endswith("icontains")
    negate = spec.type.startswith("not-")
    found = (needle.casefold() in ctx.output.casefold()) if fold else (needle in ctx.output)
    case = " (ignoring case)" if fold else ""
    if negate:
        return result(
            spec.type,
            not found,
            f"output does not contain {quote(needle)}{case}"
            if not found
            else f"expected output not to contain {quote(needle)}{case}, but it does",
        )
    return result(
        spec.type,
        found,
        f"output contains {quote(needle)}{case}"
        if found
        else f"expected output to contain {quote(needle)}{case}, got {quote(ctx.output)}",
    )


@register("starts-with")
def starts_with(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    prefix = render(str(spec.value), ctx)
    ok = ctx.output.lstrip().startswith(prefix)
    return result(
        spec.type,
        ok,
        f"output starts with {quote(prefix)}"
        if ok
        else f"expected output to start with {quote(prefix)}, got {quote(ctx.output, 40)}",
    )


@register("regex", "not-regex")
def regex(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    pattern = render(str(spec.value), ctx)
    match = re.search(pattern, ctx.output)
    if spec.type == "not-regex":
        return result(
            spec.type,
            match is None,
            f"output does not match /{pattern}/"
            if match is None
            else f"expected output not to match /{pattern}/, but {quote(match.group(0))} does",
        )
    return result(
        spec.type,
        match is not None,
        f"output matches /{pattern}/ at {quote(match.group(0))}"
        if match
        else f"expected output to match /{pattern}/, got {quote(ctx.output)}",
    )


@register("contains-any", "contains-all")
def contains_some(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    needles = [render(n, ctx) for n in as_list(spec.value)]
    fold = bool(spec.args.get("ignore_case"))
    hay = ctx.output.casefold() if fold else ctx.output
    found = [n for n in needles if (n.casefold() if fold else n) in hay]
    missing = [n for n in needles if n not in found]
    listed = ", ".join(quote(n, 40) for n in needles)
    if spec.type == "contains-any":
        ok = bool(found)
        return result(
            spec.type,
            ok,
            f"output contains {quote(found[0])}"
            if ok
            else f"expected output to contain any of {listed}, got {quote(ctx.output)}",
        )
    ok = not missing
    # Partial credit: the case's weighted score reflects how much of the list was covered.
    score = len(found) / len(needles) if needles else 0.0
    return result(
        spec.type,
        ok,
        f"output contains all of {listed}"
        if ok
        else f"expected output to contain all of {listed}; missing "
        + ", ".join(quote(n, 40) for n in missing),
        score,
    )
