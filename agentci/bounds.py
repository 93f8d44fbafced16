"""Limits on waits and sizes: a total deadline per HTTP request, a cap on response bodies,
and an overall deadline for a whole run (`--deadline` on eval and deploy).

httpx's timeouts apply to each socket operation, so a server that drips one byte a second
never times out, and `response.json()` reads a body of any size into memory. Here:

- `request(client, ...)` sends one request under a **total** deadline (connect + headers +
  body) and reads the body as a stream, refusing it past `max_bytes` (counted after
  decompression, so a gzip bomb is refused too).
- `install(transport)` puts the deadline under httpx, at the socket: every connect, read and
  write gets at most the time left, so even the headers cannot be dripped forever. When
  httpx's internals differ from what this expects, the body is still checked between
  chunks (the headers then fall back to the per-read timeout).
- `set_run_deadline(seconds)` bounds everything after it: requests, retries and waits.

Every HTTP client agentci makes (providers, the judge, backends) uses these; defaults below
are documented in the README (section "Limits").
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

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


# -- one request's deadline (per thread: httpx's sync client does its I/O in the caller) -

_local = threading.local()


def remaining() -> float | None:
    """Seconds left for the request in progress on this thread (None: no deadline)."""
    deadline = getattr(_local, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Bound everything on this thread inside the block to `seconds` (and the run's deadline)."""
    ends = time.monotonic() + max(0.0, seconds)
    if _run_deadline is not None:
        ends = min(ends, _run_deadline)
    outer = getattr(_local, "deadline", None)
    _local.deadline = ends if outer is None else min(ends, outer)
    try:
        yield ends
    finally:
        _local.deadline = outer


def _left(timeout: float | None) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        import httpcore

        raise httpcore.ReadTimeout("request deadline exceeded")
    return left if timeout is None else min(timeout, left)


def request(
    client: httpx.Client, method: str, url: str, *, timeout: float, max_bytes: int, **kwargs: Any
) -> httpx.Response:
    """Send one request and read its body, all within `timeout` seconds in total and at most
    `max_bytes` of body. Returns a read Response (`.json()`, `.text`, headers work);
    raises TooLarge, DeadlineExceeded or httpx's own errors."""
    import httpx

    with deadline(timeout) as ends:
        left = ends - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("no time left")
        # Only encodings decoded here, a bounded chunk at a time (httpx would inflate a
        # 64 KiB gzip chunk of zeros into 64 MiB before anyone could count it).
        headers = {**dict(kwargs.pop("headers", None) or {}), "Accept-Encoding": "gzip, deflate"}
        try:
            with client.stream(
                method, url, timeout=httpx.Timeout(left), headers=headers, **kwargs
            ) as resp:
                body = _read_body(resp, max_bytes, ends)
        except httpx.TimeoutException:
            if time.monotonic() >= ends - 0.01:
                raise DeadlineExceeded("request deadline exceeded") from None
            raise
    # A fresh, fully read response: the body is already decoded, so drop the encodings.
    drop = {"content-encoding", "content-length", "transfer-encoding"}
    kept = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in drop]
    return httpx.Response(resp.status_code, headers=kept, content=bytes(body), request=resp.request)


def _read_body(resp: Any, max_bytes: int, ends: float) -> bytearray:
    import zlib

    encoding = resp.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        inflate = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        # wbits 47: gzip or zlib header, detected; raw deflate is tried when that fails
        inflate = zlib.decompressobj(47)
    else:
        raise BadBody(f"unsupported Content-Encoding {encoding!r}")
    body = bytearray()
    for raw in resp.iter_raw():
        if inflate is None:
            body += raw
        else:
            data = raw
            while data:
                try:
                    body += inflate.decompress(data, max_bytes + 1 - len(body))
                except zlib.error:
                    if encoding != "deflate" or body:
                        raise BadBody("the compressed response body is corrupt") from None
                    inflate = zlib.decompressobj(-15)  # raw deflate, as some servers send it
                    body += inflate.decompress(data, max_bytes + 1 - len(body))
                if len(body) > max_bytes:
                    raise TooLarge(max_bytes)
                data = inflate.unconsumed_tail
        if len(body) > max_bytes:
            raise TooLarge(max_bytes)
        if time.monotonic() > ends:
            raise DeadlineExceeded("body not complete")
    return body


# -- the deadline at the socket ----------------------------------------------------------


def install(transport: Any, *, quick_ack: bool = False) -> bool:
    """Wrap the transport's network backend so each connect/read/write is cut to the time
    left (see `deadline`). Returns False (and changes nothing) on unfamiliar internals.

    With `quick_ack`, Linux is also asked to ACK responses at once on reused connections:
    a server that writes headers and body in two small sends without TCP_NODELAY (Python's
    http.server, so many local stand-ins and model servers) meets the client's delayed ACK
    on a kept-alive connection, and every response stalls ~40 ms (measured: 44 ms vs 0.6 ms
    per call on loopback). TCP_QUICKACK is not sticky, so it is set before each read.
    httpx has no public hook for either; when its internals differ, connections work as
    before (the body is still bounded between chunks by `request`)."""
    try:
        import httpcore

        pool = transport._pool
        inner = pool._network_backend
    except (ImportError, AttributeError):
        return False
    if not isinstance(inner, httpcore.NetworkBackend):
        return False
    pool._network_backend = _classes()[1](inner, quick_ack)
    return True


_CLASSES: tuple[type, type] | None = None


def _classes() -> tuple[type, type]:
    global _CLASSES
    if _CLASSES is not None:
        return _CLASSES
    import socket

    import httpcore

    quick = getattr(socket, "TCP_QUICKACK", None)

    class Stream(httpcore.NetworkStream):
        def __init__(self, inner: Any, quick_ack: bool = False) -> None:
            self.inner = inner
            self.sock = inner.get_extra_info("socket") if quick_ack and quick is not None else None

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            if self.sock is not None:
                try:
                    self.sock.setsockopt(socket.IPPROTO_TCP, quick, 1)
                except OSError:
                    self.sock = None
            return bytes(self.inner.read(max_bytes, _left(timeout)))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self.inner.write(buffer, _left(timeout))

        def close(self) -> None:
            self.inner.close()

        def start_tls(self, *args: Any, **kwargs: Any) -> Any:
            if "timeout" in kwargs:
                kwargs["timeout"] = _left(kwargs["timeout"])
            return Stream(self.inner.start_tls(*args, **kwargs), self.sock is not None)

        def get_extra_info(self, info: str) -> Any:
            return self.inner.get_extra_info(info)

    class Backend(httpcore.NetworkBackend):
        def __init__(self, inner: Any, quick_ack: bool = False) -> None:
            self.inner = inner
            self.quick_ack = quick_ack

        def connect_tcp(
            self, host: str, port: int, timeout: float | None = None, *args: Any, **kwargs: Any
        ) -> Any:
            return Stream(
                self.inner.connect_tcp(host, port, _left(timeout), *args, **kwargs), self.quick_ack
            )

        def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:
            return self.inner.connect_unix_socket(*args, **kwargs)

        def sleep(self, seconds: float) -> None:
            self.inner.sleep(seconds)

    _CLASSES = (Stream, Backend)
    return _CLASSES
