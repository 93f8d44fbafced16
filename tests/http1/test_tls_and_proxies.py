"""agentci.http1: TLS with the caller's CA bundle, HTTP proxies (absolute-form, CONNECT). Against real peers on 127.0.0.1
(tests/http1/kit.py says how).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from agentci import http1
from agentci.eval.providers.base import ProviderConfig
from agentci.eval.providers.http import _ssl_context, make_client, post_json
from tests.http1.kit import fetch, fetch_once, pooled, run, tls_server_context, wait_for_close
from tests.servers.raw_http import Peer, Proxy, answer, keep_alive


# -- TLS ----------------------------------------------------------------------------------
def test_tls_with_the_ca_from_ssl_cert_file(serve, ca, trusted):
    server = serve(keep_alive, tls=tls_server_context(ca, "127.0.0.1", "localhost"))

    async def go() -> tuple[int, http1.Headers, bytes]:
        async with pooled(1, ssl_context=_ssl_context) as pool:
            return await fetch(pool, f"{server.url}/tls")

    status, _, body = run(go())
    assert (status, body) == (200, b"GET /tls HTTP/1.1")


@pytest.mark.parametrize("factory", [None, _ssl_context], ids=["default-context", "certifi"])
def test_tls_with_an_untrusted_ca_fails_verification(serve, ca, monkeypatch, factory):
    # RFC 9110 §4.3.4: an https client MUST verify the server's certificate
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    server = serve(keep_alive, tls=tls_server_context(ca, "127.0.0.1", "localhost"))

    async def go() -> None:
        async with pooled(1, ssl_context=factory) as pool:
            await fetch(pool, server.url)

    with pytest.raises(http1.ConnectError, match="certificate verify failed"):
        run(go())
    assert server.requests == []


def test_tls_certificate_for_another_name_fails(serve, ca, trusted):
    # RFC 9110 §4.3.4: the certificate must match the host the URL names (127.0.0.1 here)
    server = serve(keep_alive, tls=tls_server_context(ca, "other.example"))

    async def go() -> None:
        async with pooled(1, ssl_context=_ssl_context) as pool:
            await fetch(pool, server.url)

    with pytest.raises(http1.ConnectError, match="certificate verify failed"):
        run(go())
    assert server.requests == []


# -- proxies ------------------------------------------------------------------------------

BASIC = "Basic " + base64.b64encode(b"us@er:p:w").decode()  # RFC 7617 §2: user-id ":" password
PROXY_USERINFO = "us%40er:p%3Aw"  # the same, percent-encoded in the proxy URL (RFC 3986 §3.2.1)


def test_http_target_through_a_proxy_uses_absolute_form(serve):
    # RFC 9112 §3.2.2: to a proxy, the request target is the absolute URI, with a Host
    # header for its authority; RFC 9110 §11.7.2: the proxy's credentials in
    # Proxy-Authorization
    origin, proxy = serve(keep_alive), serve(Proxy())

    async def go() -> bytes:
        async with pooled(1, proxy=f"http://{PROXY_USERINFO}@127.0.0.1:{proxy.port}") as pool:
            return (await fetch(pool, f"{origin.url}/p?q=1"))[2]

    assert run(go()) == b"GET /p?q=1 HTTP/1.1"  # as the origin received it from the proxy
    [seen] = proxy.requests
    assert seen.line == f"GET {origin.url}/p?q=1 HTTP/1.1"
    assert seen.header("Host") == f"127.0.0.1:{origin.port}"
    assert seen.header("Proxy-Authorization") == BASIC


def test_https_target_through_a_proxy_tunnels_with_connect(serve, ca, trusted):
    # RFC 9110 §9.3.6: CONNECT host:port (authority-form, RFC 9112 §3.2.3), a 2xx, then TLS
    # with the origin inside the tunnel; the tunnel is kept for the next request (§9.3)
    origin = serve(keep_alive, tls=tls_server_context(ca, "127.0.0.1"))
    proxy = serve(Proxy())

    async def go() -> list[bytes]:
        proxy_url = f"http://{PROXY_USERINFO}@127.0.0.1:{proxy.port}"
        async with pooled(1, proxy=proxy_url, ssl_context=_ssl_context) as pool:
            return [(await fetch(pool, f"{origin.url}/{n}"))[2] for n in "ab"]

    assert run(go()) == [b"GET /a HTTP/1.1", b"GET /b HTTP/1.1"]
    [connect] = proxy.requests
    assert connect.line == f"CONNECT 127.0.0.1:{origin.port} HTTP/1.1"
    assert connect.header("Host") == f"127.0.0.1:{origin.port}"
    assert connect.header("Proxy-Authorization") == BASIC
    # inside the tunnel: origin-form, and the proxy's credentials stay with the proxy
    assert [r.line for r in origin.requests] == ["GET /a HTTP/1.1", "GET /b HTTP/1.1"]
    assert all(r.header("Proxy-Authorization") is None for r in origin.requests)
    assert (proxy.accepted, origin.accepted) == (1, 1)


def test_providers_post_json_through_a_proxy_to_a_tls_origin(serve, ca, trusted):
    # the providers' own path: make_client (its CA bundle from SSL_CERT_FILE) and post_json
    def chat(peer: Peer) -> None:
        while (req := peer.read_request()) is not None:
            sent = json.loads(req.body)
            body = json.dumps({"echo": sent, "type": req.header("Content-Type")}).encode()
            peer.send(answer(body=body, headers="Content-Type: application/json\r\n"))

    origin = serve(chat, tls=tls_server_context(ca, "127.0.0.1"))
    proxy = serve(Proxy())

    async def go() -> Any:
        config = ProviderConfig(provider="openai", base_url=origin.url, timeout=5)
        pool = make_client(config, proxy=f"http://127.0.0.1:{proxy.port}")
        try:
            return await post_json(pool, f"{origin.url}/v1/chat", {}, {"q": [1, "é"]}, "t")
        finally:
            await pool.close()

    assert run(go()) == {"echo": {"q": [1, "é"]}, "type": "application/json"}
    assert proxy.requests[0].header("Proxy-Authorization") is None  # none configured


def test_proxy_refusing_connect_is_a_connect_error(serve):
    # RFC 9110 §15.5.8: 407, the proxy wants (other) credentials; no tunnel, nothing sent on
    refusal = (
        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
        b'Proxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 0\r\n\r\n'
    )
    proxy = serve(Proxy(connect_answer=refusal))

    async def go() -> list[str]:
        errors = []
        async with pooled(1, proxy=f"http://127.0.0.1:{proxy.port}") as pool:
            for _ in range(2):  # the failed connect gave its pool slot back
                with pytest.raises(http1.ConnectError) as info:
                    await fetch(pool, "https://127.0.0.1:9/x")
                errors.append(str(info.value))
        return errors

    errors = run(go())
    assert all("407 Proxy Authentication Required" in e for e in errors), errors
    assert proxy.accepted == 2


def test_refused_tunnel_is_closed_by_the_client(serve):
    refusal = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
    closed: list[bool] = []

    def refuse(peer: Peer) -> None:
        if peer.read_request() is None:  # the CONNECT
            return
        peer.sock.sendall(refusal)
        peer.sock.settimeout(3)
        closed.append(peer.sock.recv(1) == b"")  # the client's FIN, not our timeout

    proxy = serve(refuse)

    async def go() -> None:
        async with pooled(1, proxy=f"http://127.0.0.1:{proxy.port}") as pool:
            with pytest.raises(http1.ConnectError):
                await fetch(pool, "https://127.0.0.1:9/x")

    run(go())
    deadline = time.monotonic() + 4
    while not closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert closed == [True]


def test_proxy_answer_to_connect_larger_than_the_head_limit_is_refused(serve):
    # an answer head that never ends is not read past MAX_HEAD_BYTES (nor parsed for a status)
    def endless(peer: Peer) -> None:
        if peer.read_request() is None:  # the CONNECT
            return
        peer.sock.sendall(b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * (http1.MAX_HEAD_BYTES + 1024))
        wait_for_close(peer)

    proxy = serve(endless)
    with pytest.raises(http1.ConnectError, match="larger than"):
        fetch_once("https://127.0.0.1:9/x", proxy=f"http://127.0.0.1:{proxy.port}")


def test_proxy_never_answering_connect_times_out(serve):
    proxy = serve(Proxy(stall=True))

    async def go() -> None:
        async with pooled(1, proxy=f"http://127.0.0.1:{proxy.port}", connect_timeout=0.2) as pool:
            await fetch(pool, "https://127.0.0.1:9/x")

    with pytest.raises(http1.ConnectError, match=r"within 0\.2 s"):
        run(go())


@pytest.mark.parametrize(
    ("proxy", "says"),
    [
        ("socks5://127.0.0.1:1080", "only http:// proxies"),
        ("http://user:s3cret@127.0.0.1:99999", "out of range"),
    ],
)
def test_unusable_proxy_is_refused_by_send(proxy, says):
    made = []

    async def go() -> None:
        async with pooled(1, proxy=proxy) as pool:
            made.append(pool)  # the constructor accepted it: `send` is where callers catch
            await fetch(pool, "http://127.0.0.1:9/")

    with pytest.raises(http1.InvalidURL, match=says) as info:
        run(go())
    assert made
    assert "s3cret" not in str(info.value)  # errors reach logs: never the proxy's password
