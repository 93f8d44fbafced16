"""agentci.http1: persistence, the pool's limit, message body length. Against real peers on 127.0.0.1
(tests/http1/kit.py says how).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time

import pytest

from agentci import http1
from tests.http1.kit import fetch, fetch_once, pooled, run, until
from tests.servers.raw_http import Peer, answer, keep_alive

# -- persistence (RFC 9112 §9.3) ---------------------------------------------------------


def test_sequential_requests_reuse_one_connection(serve):
    # RFC 9112 §9.3: an HTTP/1.1 connection persists unless "close" is signalled
    server = serve(keep_alive)

    async def go() -> list[bytes]:
        async with pooled() as pool:
            return [(await fetch(pool, f"{server.url}/{n}"))[2] for n in range(3)]

    assert run(go()) == [b"GET /0 HTTP/1.1", b"GET /1 HTTP/1.1", b"GET /2 HTTP/1.1"]
    assert server.accepted == 1
    assert [r.conn for r in server.requests] == [0, 0, 0]


def test_one_line_per_header_name_and_the_framing_is_the_clients(serve):
    # RFC 9110 §5.3: a field name appears once unless its value is a list; RFC 9112 §6: the
    # message length is what the client writes, whatever a caller put in its headers
    server = serve(keep_alive)
    headers = {
        "content-type": "text/plain",
        "Content-Type": "application/json",
        "Content-Length": "999",
        "Transfer-Encoding": "chunked",
        "Host": "elsewhere.example",
    }

    async def go() -> None:
        async with pooled(1) as pool:
            await pool.send("POST", server.url, headers, b"{}", lambda s, h: lambda b: None)

    run(go())
    (req,) = server.requests
    names = [n.lower() for n, _ in req.headers]
    assert names.count("content-type") == 1 and req.header("content-type") == "application/json"
    assert req.header("content-length") == "2" and req.body == b"{}"
    assert req.header("transfer-encoding") is None
    assert req.header("host") == server.url.split("://", 1)[1]


def test_connection_close_answer_is_not_reused(serve):
    # RFC 9112 §9.6: a client that receives a "close" connection option MUST cease sending
    # requests on that connection. This server keeps reading after saying "close", so only the
    # client honouring the header (not a socket closed under it) makes the second connection.
    def close_each(peer: Peer) -> None:
        while (req := peer.read_request()) is not None:
            peer.send(answer(body=req.line.encode(), headers="Connection: close\r\n"))

    server = serve(close_each)

    async def go() -> None:
        async with pooled() as pool:
            for n in range(2):
                assert (await fetch(pool, f"{server.url}/{n}"))[2] == f"GET /{n} HTTP/1.1".encode()

    run(go())
    assert server.accepted == 2
    assert [r.conn for r in server.requests] == [0, 1]


def test_idle_connection_older_than_idle_seconds_is_not_reused(serve):
    server = serve(keep_alive)

    async def go() -> list[int]:
        accepted = []
        async with pooled(1, idle_seconds=0.05) as pool:
            for pause in (0.0, 0.0, 0.1):
                await asyncio.sleep(pause)
                await fetch(pool, server.url)
                accepted.append(server.accepted)
        return accepted

    # back to back: one connection; after 0.1 s idle (> 0.05 s): a new one
    assert run(go()) == [1, 1, 2]


def test_connection_closed_by_the_server_while_idle_is_not_reused(serve):
    # RFC 9112 §9.5: a server may close an idle connection at any time; the next request
    # must go on a new connection, not fail on the closed one
    def one_then_close(peer: Peer) -> None:
        req = peer.read_request()
        if req is not None:
            peer.send(answer(body=req.line.encode()))

    server = serve(one_then_close)

    async def go() -> bytes:
        async with pooled(1) as pool:
            await fetch(pool, f"{server.url}/a")
            await until(lambda: server.open == 0)  # the server closed it
            return (await fetch(pool, f"{server.url}/b"))[2]

    assert run(go()) == b"GET /b HTTP/1.1"
    assert server.accepted == 2


def test_bytes_arriving_on_an_idle_connection_make_it_unusable(serve):
    # RFC 9112 §9.3: answers pair with requests in order, so an answer nobody asked for
    # cannot belong to the next request; the connection is dropped, not read from
    def stray(peer: Peer) -> None:
        req = peer.read_request()
        if req is None:
            return
        peer.send(answer(body=req.line.encode()))
        time.sleep(0.01)
        peer.send(answer(body=b"stale"))
        stray_sent.set()
        keep_alive(peer)

    stray_sent = threading.Event()
    server = serve(stray)

    async def go() -> bytes:
        async with pooled(1) as pool:
            await fetch(pool, f"{server.url}/a")
            await until(stray_sent.is_set)
            return (await fetch(pool, f"{server.url}/b"))[2]

    assert run(go()) == b"GET /b HTTP/1.1"
    assert server.accepted == 2


# -- the pool's limit ---------------------------------------------------------------------


def test_pool_never_opens_more_than_its_limit(serve):
    def slow(peer: Peer) -> None:
        while (req := peer.read_request()) is not None:
            time.sleep(0.2)
            peer.send(answer(body=req.line.encode()))

    server = serve(slow)

    async def go() -> list[tuple[int, http1.Headers, bytes]]:
        async with pooled(2) as pool:
            return await asyncio.gather(*(fetch(pool, f"{server.url}/{n}") for n in range(6)))

    answers = run(go())
    assert sorted(body for _, _, body in answers) == [
        f"GET /{n} HTTP/1.1".encode() for n in range(6)
    ]
    assert {status for status, _, _ in answers} == {200}
    assert server.peak == 2  # both slots used, never a third
    assert server.accepted == 2


def test_idle_connection_to_another_host_is_closed_to_make_room(serve):
    first, second = serve(keep_alive), serve(keep_alive)

    async def go() -> bytes:
        async with pooled(1) as pool:
            await fetch(pool, f"{first.url}/a")
            return (await fetch(pool, f"{second.url}/b"))[2]

    assert run(go()) == b"GET /b HTTP/1.1"
    deadline = time.monotonic() + 2
    while first.open and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.open == 0  # its idle connection was closed for the other host's


# -- message body length (RFC 9112 §6.3) --------------------------------------------------


def send_in_pieces(peer: Peer, pieces: list[bytes]) -> None:
    for piece in pieces:
        peer.send(piece)
        time.sleep(0.01)  # TCP_NODELAY on the server: each piece its own segment


def test_content_length_body_across_writes(serve):
    # RFC 9112 §6.3 rule 6 / §6.2: Content-Length bytes, then the next answer on the same
    # connection (so the end was found from the length, not a close)
    body = bytes(range(256)) * 400

    def framed(peer: Peer) -> None:
        if peer.read_request() is None:
            return
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        send_in_pieces(peer, [head, body[:7], body[7:70_000], body[70_000:]])
        keep_alive(peer)

    server = serve(framed)

    async def go() -> tuple[bytes, bytes]:
        async with pooled(1) as pool:
            return (await fetch(pool, server.url))[2], (await fetch(pool, f"{server.url}/b"))[2]

    assert run(go()) == (body, b"GET /b HTTP/1.1")
    assert server.accepted == 1


def test_chunked_body_split_across_writes(serve):
    # RFC 9112 §7.1: <hex size>[;ext]CRLF <data> CRLF ... 0 CRLF [trailers] CRLF, here cut
    # mid-size-line, mid-data and mid-CRLF; §7.1.1 chunk extensions are ignored, §7.1.2
    # trailer fields are not body
    pieces = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"5\r\nhel",
        b"lo\r",
        b"\n1",
        b"0;name=value\r\n wonderful ",
        b"world\r\n0\r\nX-Trailer: t\r\n",
        b"\r\n",
    ]

    def chunked(peer: Peer) -> None:
        if peer.read_request() is None:
            return
        send_in_pieces(peer, pieces)
        keep_alive(peer)

    server = serve(chunked)

    async def go() -> tuple[bytes, bytes]:
        async with pooled(1) as pool:
            return (await fetch(pool, server.url))[2], (await fetch(pool, f"{server.url}/b"))[2]

    assert run(go()) == (b"hello wonderful world", b"GET /b HTTP/1.1")
    assert server.accepted == 1  # the zero chunk ended the answer, not a close


def test_body_delimited_by_close(serve):
    # RFC 9112 §6.3 rule 8: neither Transfer-Encoding nor Content-Length: the body is every
    # byte until the server closes the connection (which then cannot be reused)
    def until_close(peer: Peer) -> None:
        if peer.read_request() is None:
            return
        send_in_pieces(
            peer, [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", b"to the ", b"end"]
        )

    server = serve(until_close)

    async def go() -> tuple[bytes, bytes]:
        async with pooled(1) as pool:
            return (await fetch(pool, server.url))[2], (await fetch(pool, server.url))[2]

    assert run(go()) == (b"to the end", b"to the end")
    assert server.accepted == 2


def test_body_delimited_by_close_cut_by_a_reset_is_an_error(serve):
    # the same framing, but the connection ends in a TCP reset, not a clean close: the body
    # may be cut anywhere, so it is not taken as complete
    def reset(peer: Peer) -> None:
        if peer.read_request() is None:
            return
        peer.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart")
        time.sleep(0.05)
        peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.sock.close()  # linger 0: RST

    server = serve(reset)

    async def go() -> None:
        async with pooled(1) as pool:
            with pytest.raises(http1.Disconnected):
                await fetch(pool, server.url)

    run(go())


def test_no_content_answer_without_length_keeps_the_connection(serve):
    # RFC 9112 §6.3 rule 1: a 204 has no body whatever its header fields say
    def no_content(peer: Peer) -> None:
        if peer.read_request() is None:
            return
        peer.send(b"HTTP/1.1 204 No Content\r\n\r\n")
        keep_alive(peer)

    server = serve(no_content)

    async def go() -> tuple[int, bytes, bytes]:
        async with pooled(1) as pool:
            status, _, body = await fetch(pool, server.url)
            return status, body, (await fetch(pool, f"{server.url}/b"))[2]

    assert run(go()) == (204, b"", b"GET /b HTTP/1.1")
    assert server.accepted == 1


def test_informational_answers_before_the_final_one_are_skipped(serve):
    # RFC 9110 §15.2: a client MUST be able to parse one or more 1xx answers before the final
    # one; 103 Early Hints is RFC 8297
    def early_hints(peer: Peer) -> None:
        if peer.read_request() is None:
            return
        send_in_pieces(
            peer,
            [
                b"HTTP/1.1 100 Continue\r\n\r\n",
                b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n",
                answer(body=b"final", headers="X-Final: yes\r\n"),
            ],
        )
        keep_alive(peer)

    server = serve(early_hints)
    seen: list[tuple[int, dict[str, str]]] = []
    chunks: list[bytes] = []

    def on_answer(status: int, headers: http1.Headers) -> http1.Sink:
        seen.append((status, dict(headers)))
        return chunks.append

    async def go() -> bytes:
        async with pooled(1) as pool:
            await pool.send("GET", server.url, {}, b"", on_answer)
            return (await fetch(pool, f"{server.url}/b"))[2]

    assert run(go()) == b"GET /b HTTP/1.1"
    assert seen == [(200, {"content-length": "5", "x-final": "yes"})]
    assert chunks == [b"final"]
    assert server.accepted == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhalf\r\n",
    ],
    ids=["content-length", "chunked"],
)
def test_answer_cut_short_by_a_close_is_an_error(serve, raw):
    # RFC 9112 §8: fewer bytes than Content-Length, or chunked without its zero-size last
    # chunk, is an incomplete message, not a short body
    def cut(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(raw)

    server = serve(cut)

    with pytest.raises(http1.Disconnected, match="in the middle of the answer"):
        fetch_once(server.url)
