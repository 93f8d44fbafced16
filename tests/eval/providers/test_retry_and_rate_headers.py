"""Retry and rate-limit headers, read as the official SDKs read them (openai-python
`_base_client.py` `_parse_retry_after_header` / `_should_retry`), measured on the
stand-in's clock."""

from __future__ import annotations

import time

from agentci.eval.engine import EvalOptions
from agentci.eval.providers.ratelimit import reset_seconds
from tests.eval.conftest import cases_of, evaluate_doc, simple_cases


def _times(stub):
    return [e["ts"] for e in stub.log() if e["kind"] == "completions"]


def test_retry_after_ms_wins_over_retry_after(stub, eval_env, agent_repo):
    stub.state.headers = {"retry-after-ms": "150"}
    stub.faults("429", count=1, retry_after="30")
    root = agent_repo(cases=simple_cases(1))
    started = time.monotonic()
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert cases_of(data)["c00"]["status"] == "pass"
    first, second = _times(stub)
    assert 0.14 <= second - first < 5  # 150 ms, not 30 s
    assert time.monotonic() - started < 10


def test_x_should_retry_false_is_final(stub, eval_env, agent_repo):
    stub.state.headers = {"x-should-retry": "false"}
    stub.faults("500", count=1)
    root = agent_repo(cases=simple_cases(1))
    data = evaluate_doc(EvalOptions(root=root, progress=False, backoff_base=0.01))
    case = cases_of(data)["c00"]
    assert (
        case["status"] == "error" and "HTTP 500" in case["error"] and "gave up" not in case["error"]
    )
    assert data["totals"]["requests"] == 1


def test_a_wait_beyond_two_minutes_is_not_retried(stub, eval_env, agent_repo):
    stub.faults("429", count=5, retry_after="24367")  # GitHub Models' spent daily quota
    root = agent_repo(cases=simple_cases(1))
    started = time.monotonic()
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    case = cases_of(data)["c00"]
    assert case["status"] == "error"
    assert "asks to retry after 24367 s, more than the 60 s agentci waits" in case["error"]
    assert data["totals"]["requests"] == 1 and time.monotonic() - started < 10


def test_rate_limit_headers_pace_the_run_before_a_429(stub, eval_env, agent_repo):
    # Every answer says: no requests left until 300 ms from now. After the first answers
    # (two go out before anything is known) the run waits for each reset instead of
    # sending into a 429: 6 cases on 2 workers take three windows, not one burst.
    stub.state.headers = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "300ms",
    }
    root = agent_repo(cases=simple_cases(6), config="eval: {concurrency: 2}\n")
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert {c["status"] for c in cases_of(data).values()} == {"pass"}
    times = sorted(_times(stub))
    assert len(times) == 6
    assert times[-1] - times[0] >= 0.55, times
    assert all(b - a >= 0.25 for a, b in zip(times, times[2:], strict=False)), (
        times
    )  # never 3 in one window


def test_remaining_requests_are_spent_before_waiting(stub, eval_env, agent_repo):
    stub.state.headers = {
        "anthropic-ratelimit-requests-remaining": "50",
        "anthropic-ratelimit-requests-reset": "2099-01-01T00:00:00Z",
    }
    root = agent_repo(cases=simple_cases(6), config="eval: {concurrency: 2}\n")
    started = time.monotonic()
    evaluate_doc(EvalOptions(root=root, progress=False))
    assert time.monotonic() - started < 5  # 50 left: no pause


def test_reset_formats():
    assert reset_seconds("6m0s") == 120.0  # capped
    assert reset_seconds("1s") == 1.0
    assert reset_seconds("20ms") == 0.02
    assert reset_seconds("1m30.5s") == 90.5
    assert reset_seconds("2") == 2.0
    assert reset_seconds("2026-01-01T00:00:05Z", now=1767225600.0) == 5.0
    assert reset_seconds("soon") is None
