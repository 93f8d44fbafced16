"""agentci.http1: each failure is one stated error; the request deadline (agentci.bounds). Against real peers on 127.0.0.1
(tests/http1/kit.py says how).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import time

import pytest

from agentci import bounds, http1
from tests.http1.kit import fetch, fetch_once, pooled, run, wait_for_close
from tests.servers.raw_http import Peer, keep_alive

# -- errors -------------------------------------------------------------------------------


def test_connection_refused_is_a_connect_error():
    # bound but not listening: the kernel answers the SYN with RST (ECONNREFUSED)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

        async def go() -> None:
            async with pooled(1) as pool:
                await fetch(pool, f"http://127.0.0.1:{port}/")

        with pytest.raises(http1.ConnectError, match=f"127.0.0.1:{port}"):
            run(go())


def test_server_closing_without_answering_is_disconnected(serve):
    def hang_up(peer: Peer) -> None:
        peer.read_request()  # then the connection closes, no answer written

    server = serve(hang_up)

    with pytest.raises(http1.Disconnected, match="before answering"):
        fetch_once(server.url)
    assert len(server.requests) == 1  # the request was sent, the answer never came


def test_garbage_instead_of_a_status_line_is_a_bad_answer(serve):
    # RFC 9112 §4: an answer starts with "HTTP/1.x <3-digit status>"
    def ssh(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
            wait_for_close(peer)

    server = serve(ssh)

    with pytest.raises(http1.BadAnswer):
        fetch_once(server.url)


@pytest.mark.parametrize(
    "head",
    [
        # many header fields, each small, > MAX_HEAD_BYTES in all
        b"HTTP/1.1 200 OK\r\n"
        + b"".join(b"X-Pad-%d: %s\r\n" % (n, b"v" * 60) for n in range(2000))
        + b"\r\n",
        # one field value that never ends: refused once past the limit, not buffered forever
        b"HTTP/1.1 200 OK\r\nX-Pad: " + b"v" * (4 * http1.MAX_HEAD_BYTES),
        # a status line that never ends
        b"HTTP/1.1 200 " + b"O" * (4 * http1.MAX_HEAD_BYTES),
    ],
    ids=["many-fields", "endless-field", "endless-status-line"],
)
def test_answer_head_larger_than_the_limit_is_a_bad_answer(serve, head):
    assert len(head) > 1.5 * http1.MAX_HEAD_BYTES

    def big(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(head)
            wait_for_close(peer)

    server = serve(big)

    async def go() -> None:
        async with pooled(1) as pool:
            await fetch(pool, server.url)

    with pytest.raises(http1.BadAnswer, match="larger than"):
        run(go(), limit=3.0)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Note": "a\r\nX-Injected: 1"},
        {"X-Note": "a\nX-Injected: 1"},
        {"X-Note": "a\rb"},
        {"X Note": "a"},
        {"X-Note:": "a"},
        {"X-Note": "caf\u20ac"},  # not latin-1: cannot be written as it is
    ],
)
def test_header_that_would_corrupt_the_request_is_refused_before_sending(serve, headers):
    # RFC 9110 §5.5: CR and LF are not allowed in a field value (they would start a field or
    # a request of the caller's choosing); §5.1: a field name is a token
    server = serve(keep_alive)

    async def go() -> bytes:
        async with pooled(1) as pool:
            with pytest.raises(http1.InvalidURL):
                await fetch(pool, f"{server.url}/bad", headers=headers)
            return (await fetch(pool, f"{server.url}/good"))[2]

    assert run(go()) == b"GET /good HTTP/1.1"
    # the refused request opened no connection and sent nothing: only the good one arrived
    assert [r.line for r in server.requests] == ["GET /good HTTP/1.1"]
    assert server.accepted == 1


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/file",
        "127.0.0.1:80/no-scheme",
        "http:///no-host",
        "http://user:secret@127.0.0.1/",  # credentials in a URL are not sent anywhere
        "http://127.0.0.1:99999/",
    ],
)
def test_url_that_is_not_http_is_invalid(url):
    with pytest.raises(http1.InvalidURL) as info:
        fetch_once(url)
    assert "secret" not in str(info.value)  # the message names the URL without its password


def test_invalid_url_message_keeps_no_key_from_the_query():
    # some APIs take the key as a query parameter: the message shows where, not the key
    with pytest.raises(http1.InvalidURL) as info:
        fetch_once("http://127.0.0.1:99999/v1/models?key=sk-query-secret")
    assert "127.0.0.1:99999/v1/models" in str(info.value)
    assert "sk-query-secret" not in str(info.value)


@pytest.mark.skipif(
    sys.platform != "linux", reason="relies on Linux dropping SYNs to a full accept queue"
)
def test_connect_that_never_completes_times_out():
    # a listener that never accepts, its accept queue filled: Linux drops further SYNs, so the
    # next connect neither succeeds nor fails (as a blackholed address would, on loopback)
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):
            filler = stack.enter_context(socket.socket())
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
        time.sleep(0.05)

        async def go() -> None:
            async with pooled(1, connect_timeout=0.2) as pool:
                await fetch(pool, f"http://127.0.0.1:{port}/")

        started = time.monotonic()
        with pytest.raises(http1.ConnectError, match=r"within 0\.2 s"):
            run(go())
        assert time.monotonic() - started < 1.5


def test_tls_handshake_that_never_completes_times_out(serve):
    # TCP accepted, then no ServerHello (RFC 8446 §4.1): the connect timeout covers the
    # handshake too
    server = serve(wait_for_close)

    async def go() -> None:
        async with pooled(1, connect_timeout=0.2, ssl_context=ssl.create_default_context) as pool:
            await fetch(pool, f"https://127.0.0.1:{server.port}/")

    started = time.monotonic()
    with pytest.raises(http1.ConnectError, match=r"within 0\.2 s"):
        run(go())
    assert time.monotonic() - started < 1.5


# -- the request's total deadline (agentci.bounds) ----------------------------------------


def test_deadline_cuts_a_dripping_answer_and_the_pool_stays_usable(serve):
    def drip_first(peer: Peer) -> None:
        if peer.index > 0:
            keep_alive(peer)
            return
        if peer.read_request() is None:
            return
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(50):
            peer.send(b"x")
            time.sleep(0.1)

    server = serve(drip_first)

    async def go() -> tuple[float, bounds.Answer]:
        async with pooled(1) as pool:  # one slot: the cut exchange must give it back
            started = time.monotonic()
            with pytest.raises(bounds.DeadlineExceeded):
                await bounds.request(pool, "POST", server.url, timeout=0.3, max_bytes=10_000)
            took = time.monotonic() - started
            after = await bounds.request(
                pool, "POST", f"{server.url}/after", timeout=2, max_bytes=10_000, body=b"{}"
            )
            return took, after

    took, after = run(go())
    assert 0.28 <= took < 0.8
    assert (after.status_code, after.content) == (200, b"POST /after HTTP/1.1")
    assert server.accepted == 2  # the cut connection was not reused
