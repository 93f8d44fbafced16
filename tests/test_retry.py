"""agentci.retry: the one retry policy the eval runner and the Fast.io backend share."""

from __future__ import annotations

from agentci.retry import RetryPolicy


def test_backoff_is_full_jitter_under_the_cap() -> None:
    policy = RetryPolicy(retries=10, base=0.5, cap=4.0)
    for attempt in range(1, 10):
        bound = min(4.0, 0.5 * 2 ** (attempt - 1))
        waits = [policy.delay(attempt) for _ in range(200)]
        assert all(0 <= w <= bound for w in waits)
        assert max(waits) > bound / 2  # spread over the whole range, not a fixed step


def test_the_servers_hint_wins_within_the_limit() -> None:
    policy = RetryPolicy(retries=3, max_retry_after=60.0)
    assert policy.after_failure(0, retry_after=7.0).wait == 7.0
    step = policy.after_failure(0, retry_after=61.0)
    assert step.wait is None and "asks to retry after 61 s, more than the 60 s" in step.why
    assert RetryPolicy(max_retry_after=None).after_failure(0, retry_after=3600.0).wait == 3600.0


def test_stops_when_not_retryable_or_out_of_retries() -> None:
    policy = RetryPolicy(retries=2, base=0.0, setting="eval.max_retry_after")
    assert policy.after_failure(0, retryable=False).wait is None
    assert policy.after_failure(0, retryable=False).why == ""  # the error says it all
    assert policy.after_failure(1).wait is not None
    last = policy.after_failure(2)
    assert last.wait is None and last.why == " (gave up after 3 attempts)"
    assert "(eval.max_retry_after)" in policy.after_failure(0, retry_after=1e6).why
    assert RetryPolicy(retries=0).after_failure(0).wait is None
