"""Checks on how the answer was produced: latency (ms) and max-tokens (output tokens)."""

from __future__ import annotations

import math

from agentci.eval.assertions.base import AssertionResult, AssertionSpec, Context, register
from agentci.eval.assertions.common import result


@register("latency")
def latency(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    limit = float(spec.value)
    took = ctx.response.latency_ms
    # A cached response replays the latency recorded when it was first produced.
    note = " (recorded when cached)" if ctx.response.cached else ""
    ok = took <= limit
    return result(
        spec.type, ok, f"latency {took:.0f} ms{note} {'<=' if ok else '>'} limit {limit:.0f} ms"
    )


@register("max-tokens")
def max_tokens(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    limit = int(spec.value)
    count = ctx.response.output_tokens
    how = ""
    if count is None:
        # Providers that report no usage: ~4 characters per token is the usual estimate.
        count, how = math.ceil(len(ctx.output) / 4), " (estimated: the provider reported no usage)"
    ok = count <= limit
    return result(spec.type, ok, f"{count} output tokens{how} {'<=' if ok else '>'} limit {limit}")
