"""Limits on waits and sizes: a total deadline per HTTP request, a cap on response bodies,
and an overall deadline for a whole run (`--deadline` on eval and deploy).

An HTTP client's timeouts apply to each socket operation, so a server that drips one byte a
second never times out, and reading `.json()` takes a body of any size into memory. Here:

- `request(pool, ...)` sends one request on an `agentci.http1.Pool` under a **total**
  deadline (connect + headers + body, one asyncio task cancelled when the time is up) and
  reads the body as a stream, refusing it past `max_bytes` (counted after decompression, so
  a gzip bomb is refused too).
- `set_run_deadline(seconds)` bounds everything after it: requests, retries and waits.

Every HTTP client agentci makes (providers, the judge, backends) uses these; defaults below
are documented in the README (section "Limits").
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentci import http1

#: Largest response body read, unless configured (`eval.max_response_bytes`, or the env var).
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
MAX_RESPONSE_ENV = "AGENTCI_MAX_RESPONSE_BYTES"
#: Longest Retry-After agentci waits; a server asking for more fails the case with that reason.
DEFAULT_MAX_RETRY_AFTER = 60.0


class DeadlineExceeded(Exception):
    """The request's total deadline (or the run's) passed."""


class BadBody(Exception):
    """The body cannot be decoded (an unknown or corrupt Content-Encoding)."""


class TooLarge(Exception):
    """The response body is larger than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"response body larger than the {limit:,}-byte limit")
        self.limit = limit


def max_response_bytes(configured: int | None = None) -> int:
    raw = os.environ.get(MAX_RESPONSE_ENV, "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return configured if configured and configured > 0 else DEFAULT_MAX_RESPONSE_BYTES


# -- the run's deadline ------------------------------------------------------------------

_run_deadline: float | None = None  # time.monotonic() value
_run_seconds: float | None = None


def set_run_deadline(seconds: float | None) -> None:
    global _run_deadline, _run_seconds
    _run_seconds = seconds
    _run_deadline = None if seconds is None else time.monotonic() + seconds


def run_remaining() -> float | None:
    """Seconds left of the run's deadline (None: no deadline)."""
    return None if _run_deadline is None else _run_deadline - time.monotonic()


def run_expired() -> bool:
    left = run_remaining()
    return left is not None and left <= 0


def run_deadline_reason() -> str:
    return f"the run's --deadline of {_run_seconds or 0:g} s was reached"


def wait_allowed(seconds: float) -> bool:
    """Whether sleeping `seconds` still ends before the run's deadline."""
    left = run_remaining()
    return left is None or seconds < left


# -- one request: a total deadline, a bounded body -----------------------------------


def request_deadline(timeout: float) -> float:
    """The time.monotonic() a request started now must end by: its own timeout or the run's."""
    ends = time.monotonic() + max(0.0, timeout)
    return ends if _run_deadline is None else min(ends, _run_deadline)


class Answer:
    """A fully read HTTP answer: status, headers (case-insensitive `.get`), decoded body."""

    def __init__(self, status: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        import json

        return json.loads(self.content)


async def request(
    pool: http1.Pool,
    method: str,
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> Answer:
    """Send one request and read its body, all within `timeout` seconds in total (and the
    run's deadline) and at most `max_bytes` of body after decompression. Raises TooLarge,
    BadBody, DeadlineExceeded or the client's own errors (`agentci.http1.HTTPError`).

    The deadline is asyncio's: the whole exchange (connect, headers, every body chunk) is
    cancelled when the time is up, so a server dripping a byte a second is cut exactly there.
    Bodies are inflated here as they arrive, a bounded piece at a time (a 64 KiB gzip chunk
    of zeros inflates to 64 MiB before anyone could count it otherwise)."""
    import asyncio

    ends = request_deadline(timeout)
    left = ends - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("no time left")
    sent = {**dict(headers or {}), "Accept-Encoding": "gzip, deflate"}
    # Keys live in headers: a redirect is never followed (it could carry them elsewhere).
    bodies: list[Body] = []

    def on_answer(status: int, answer_headers: Mapping[str, str]) -> Callable[[bytes], None]:
        bodies.append(Body(answer_headers.get("Content-Encoding", ""), max_bytes))
        return bodies[-1].feed

    from agentci.http1 import within

    try:
        status, got = await within(left, pool.send(method, url, sent, body, on_answer))
    except asyncio.TimeoutError:
        raise DeadlineExceeded("request deadline exceeded") from None
    return Answer(status, got, bytes(bodies[-1].data))


class Body:
    """A response body read chunk by chunk: decoded here (gzip, zlib, raw deflate), a
    bounded piece at a time, and refused as soon as it passes `max_bytes` decoded."""

    def __init__(self, content_encoding: str, max_bytes: int) -> None:
        import zlib

        self.encoding = content_encoding.strip().lower()
        self.max_bytes = max_bytes
        self.data = bytearray()
        if self.encoding in ("", "identity"):
            self.inflate: Any = None
        elif self.encoding in ("gzip", "x-gzip", "deflate"):
            # wbits 47: gzip or zlib header, detected; raw deflate is tried when that fails
            self.inflate = zlib.decompressobj(47)
        else:
            raise BadBody(f"unsupported Content-Encoding {self.encoding!r}")

    def feed(self, raw: bytes) -> None:
        import zlib

        body, limit = self.data, self.max_bytes
        if self.inflate is None:
            body += raw
        else:
            data = raw
            while data:
                try:
                    body += self.inflate.decompress(data, limit + 1 - len(body))
                except zlib.error:
                    if self.encoding != "deflate" or body:
                        raise BadBody("the compressed response body is corrupt") from None
                    self.inflate = zlib.decompressobj(-15)  # raw deflate, as some servers send it
                    body += self.inflate.decompress(data, limit + 1 - len(body))
                if len(body) > limit:
                    raise TooLarge(limit)
                data = self.inflate.unconsumed_tail
        if len(body) > limit:
            raise TooLarge(limit)
