from __future__ import annotations

from agentci.eval.providers.base import Response


def test_latency(check):
    fast = Response(text="hi", latency_ms=120.4)
    res = check({"type": "latency", "value": 500}, "hi", response=fast)
    assert (res.passed, res.reason) == (True, "latency 120 ms <= limit 500 ms")
    res = check({"type": "latency", "value": 100}, "hi", response=fast)
    assert (res.passed, res.score, res.reason) == (False, 0.0, "latency 120 ms > limit 100 ms")


def test_latency_of_a_cached_response_says_so(check):
    res = check(
        {"type": "latency", "value": 500},
        "hi",
        response=Response(text="hi", latency_ms=80, cached=True),
    )
    assert res.reason == "latency 80 ms (recorded when cached) <= limit 500 ms"


def test_max_tokens(check):
    resp = Response(text="a b c", output_tokens=12)
    assert (
        check({"type": "max-tokens", "value": 12}, "a b c", response=resp).reason
        == "12 output tokens <= limit 12"
    )
    res = check({"type": "max-tokens", "value": 10}, "a b c", response=resp)
    assert (res.passed, res.reason) == (False, "12 output tokens > limit 10")


def test_max_tokens_estimates_when_usage_is_missing(check):
    res = check({"type": "max-tokens", "value": 5}, "x" * 40)
    assert not res.passed
    assert res.reason == "10 output tokens (estimated: the provider reported no usage) > limit 5"
