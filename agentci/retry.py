"""The project's one retry policy: exponential backoff with full jitter, or the server's own hint.

Used by the eval runner (provider calls) and by the Fast.io backend, so every HTTP peer is
retried the same way: attempt n waits uniform(0, min(cap, base * 2**(n-1))) seconds (full
jitter, AWS architecture blog: spreads the retries of many workers apart), unless the server
said how long to wait (Retry-After, Fast.io's `x-ve-limit-expires`), which wins.
"""

from __future__ import annotations

import random


def backoff_delay(
    attempt: int, retry_after: float | None = None, *, base: float = 0.5, cap: float = 30.0
) -> float:
    """Seconds to wait before retry number `attempt` (1 for the first retry)."""
    if retry_after is not None:
        return max(0.0, retry_after)
    return random.uniform(0, min(cap, base * 2 ** max(0, attempt - 1)))
