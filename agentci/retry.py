"""The project's one retry policy: exponential backoff with full jitter, or the server's own hint.

Used by the eval runner (provider calls) and by the Fast.io backend, so every HTTP peer is
retried the same way: attempt n waits uniform(0, min(cap, base * 2**(n-1))) seconds (full
jitter, AWS architecture blog: spreads the retries of many workers apart), unless the server
said how long to wait (Retry-After, Fast.io's `x-ve-limit-expires`), which wins.

API (small on purpose, and free of I/O so a thread or an asyncio task can use it alike):

    policy = RetryPolicy(retries=3, base=0.5, cap=30.0, max_retry_after=60.0)
    attempt = 0
    while True:
        try:
            return call()
        except SomeError as exc:
            step = policy.after_failure(attempt, retryable=..., retry_after=...)
            if step.wait is None:
                raise ...(f"{exc}{step.why}")  # why: "" or " (gave up ...)" or "; ..."
            attempt += 1
            time.sleep(step.wait)  # or: await asyncio.sleep(step.wait)

`after_failure` decides, the caller sleeps. A wait that would end after the run's
`--deadline` (`agentci.bounds`) is not started.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from agentci import bounds


def backoff_delay(
    attempt: int, retry_after: float | None = None, *, base: float = 0.5, cap: float = 30.0
) -> float:
    """Seconds to wait before retry number `attempt` (1 for the first retry)."""
    if retry_after is not None:
        return max(0.0, retry_after)
    return random.uniform(0, min(cap, base * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True)
class Step:
    """What to do after a failed attempt: wait `wait` seconds and try again, or (wait None)
    stop; `why` is what to add to the error's message then ("" when the error says it all)."""

    wait: float | None
    why: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 3  # retries after the first attempt (0: never retry)
    base: float = 0.5  # seconds: the first backoff's upper bound
    cap: float = 30.0  # seconds: no backoff longer than this
    #: A server asking for a longer wait is not waited for (None: any wait it names).
    max_retry_after: float | None = bounds.DEFAULT_MAX_RETRY_AFTER
    #: The setting that raises `max_retry_after`, named in the message (e.g. eval.max_retry_after).
    setting: str = ""

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before retry number `attempt` (1 for the first)."""
        return backoff_delay(attempt, retry_after, base=self.base, cap=self.cap)

    def after_failure(
        self, attempt: int, *, retryable: bool = True, retry_after: float | None = None
    ) -> Step:
        """Attempt number `attempt` (0 for the first) failed: retry after a wait, or stop."""
        if not retryable or attempt >= self.retries:
            return Step(None, f" (gave up after {attempt + 1} attempts)" if attempt else "")
        if (
            retry_after is not None
            and self.max_retry_after is not None
            and retry_after > self.max_retry_after
        ):
            return Step(
                None,
                f"; the server asks to retry after {retry_after:.0f} s, more than the "
                f"{self.max_retry_after:g} s agentci waits"
                + (f" ({self.setting})" if self.setting else ""),
            )
        wait = self.delay(attempt + 1, retry_after)
        if not bounds.wait_allowed(wait):
            return Step(None, f"; no retry: {bounds.run_deadline_reason()}")
        return Step(wait)
