"""Helpers for the agentci.http1 tests (fixtures are in conftest.py).

agentci.http1 (and the pieces of agentci.bounds / the providers' plumbing built on it)
against real HTTP peers on 127.0.0.1: raw socket servers that send exactly the bytes each
RFC behaviour needs (tests/servers/raw_http.py), an HTTP proxy with CONNECT, and TLS with a
throwaway CA from trustme.

Each test runs the client with asyncio.run inside a plain test, under a few seconds' cap, so a
client that hangs fails the test instead of stalling the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import trustme

from agentci import http1
from tests.servers.raw_http import Peer

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], limit: float = 5.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, limit))


@contextlib.asynccontextmanager
async def pooled(limit: int = 4, **options: Any) -> AsyncIterator[http1.Pool]:
    pool = http1.Pool(limit, **options)
    try:
        yield pool
    finally:
        await pool.close()


async def fetch(
    pool: http1.Pool, url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, http1.Headers, bytes]:
    chunks: list[bytes] = []

    def on_answer(status: int, headers: http1.Headers) -> http1.Sink:
        return chunks.append

    status, got = await pool.send(method, url, headers or {}, b"", on_answer)
    return status, got, b"".join(chunks)


def fetch_once(url: str, limit: int = 1, **options: Any) -> tuple[int, http1.Headers, bytes]:
    """One request on a fresh pool, run to its end: what `fetch` gives, or its error."""

    async def go() -> tuple[int, http1.Headers, bytes]:
        async with pooled(limit, **options) as pool:
            return await fetch(pool, url)

    return run(go())


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a server thread's doing, then give the loop a moment to read what it sent."""
    while not condition():
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.02)


def wait_for_close(peer: Peer) -> None:
    """Hold the connection until the client closes it (or the server's 5 s timeout)."""
    while peer.sock.recv(65536):
        pass


def tls_server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context
