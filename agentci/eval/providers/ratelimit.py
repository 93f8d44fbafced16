"""Pace requests from the rate-limit headers a service sends, so a run slows down before
it is throttled rather than after a 429.

Headers read (each answer, errors included):
- OpenAI, Azure OpenAI, GitHub Models: `x-ratelimit-remaining-requests` /
  `x-ratelimit-reset-requests` and the `-tokens` pair; resets are durations such as
  `1s`, `6m0s`, `20ms` (OpenAI rate-limits guide, "Rate limits in headers").
- Anthropic: `anthropic-ratelimit-requests-remaining` / `-reset` and the `-tokens`
  (also `-input-tokens`, `-output-tokens`) pairs; resets are RFC 3339 times
  (Anthropic API docs, "Rate limits", response headers).
The state counts down locally between answers: once the service said N requests are
left, the N+1st waits for the reset. A wait is capped at MAX_WAIT.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
import time
from collections.abc import Mapping

MAX_WAIT = 120.0
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PAIRS = (
    ("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
    ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
    ("anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"),
    ("anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"),
    ("anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset"),
    ("anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset"),
)


def reset_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds until a reset given as a duration (`6m0s`), plain seconds, or an RFC 3339 time."""
    if not value:
        return None
    value = value.strip()
    parts = _DURATION.findall(value)
    if parts and "".join(n + u for n, u in parts) == value:
        return min(sum(float(n) * _UNIT[u] for n, u in parts), MAX_WAIT)
    try:
        return min(max(float(value), 0.0), MAX_WAIT)
    except ValueError:
        pass
    try:
        when = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return min(max(when.timestamp() - (now if now is not None else time.time()), 0.0), MAX_WAIT)


class RateState:
    """What the service said about its limits, shared by all threads calling one provider."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._reset_at = 0.0  # time.monotonic()

    def observe(self, headers: Mapping[str, str]) -> None:
        found: list[tuple[int, float]] = []
        for rem_key, reset_key in _PAIRS:
            raw = headers.get(rem_key)
            if raw is None:
                continue
            try:
                remaining = int(float(raw))
            except ValueError:
                continue
            wait = reset_seconds(headers.get(reset_key))
            found.append((remaining, wait if wait is not None else 1.0))
        if not found:
            return
        remaining, wait = min(found)  # the tightest limit decides
        with self._lock:
            self._remaining = remaining
            self._reset_at = time.monotonic() + wait

    def acquire(self) -> float:
        """Seconds to wait before the next request (0: go now); counts the request."""
        with self._lock:
            if self._remaining is None:
                return 0.0
            now = time.monotonic()
            if now >= self._reset_at:
                self._remaining = None
                return 0.0
            if self._remaining > 0:
                self._remaining -= 1
                return 0.0
            return min(self._reset_at - now, MAX_WAIT)
