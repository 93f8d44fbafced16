"""The eval engine's HTTP client: HTTP/1.1 over asyncio, responses parsed by httptools (llhttp,
the parser inside Node.js), one pool of kept-alive connections per provider.

Why not aiohttp, agentci's client until #15 (benchmarks/RESULTS.md, "Issue 15, this stop";
`benchmarks/bench_clients.py`): a fresh process spends ~100 ms importing aiohttp (~40 ms of
it loading the CA bundle into a TLS context made at import) and twice this client's CPU per
request (0.55-0.62 s against 0.29-0.31 s for 2,000 requests). At 256 in flight that was
most of what separated a whole `agentci eval` run from the bare aiohttp loop (1.16x; on
this client 1.05x). The rest is what an API client needs and no more: send a body, read a
bounded answer, keep connections alive, TLS with the caller's CA bundle, `http://` proxies
(CONNECT for https, RFC 9110 section 9.3.6).

Not done on purpose: answers to HEAD (the parser would wait for the announced body),
redirects (keys live in headers; a redirect could carry them elsewhere), cookies, HTTP/2,
`Expect: 100-continue`. Every wait is bounded: connecting by `connect_timeout` here, the
whole exchange by the caller's deadline (`agentci.bounds.request`), heads by MAX_HEAD_BYTES,
bodies by the caller's sink.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import socket
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit

import httptools

if TYPE_CHECKING:
    import ssl

#: Largest response head (status line and headers); past it the answer is refused.
MAX_HEAD_BYTES = 64 * 1024
#: An idle kept-alive connection older than this is closed, not reused: servers close theirs
#: after 5 s (uvicorn, Node.js) to 75 s (nginx), and a request sent as the server closes its
#: connection fails (and costs the case a retry).
IDLE_SECONDS = 4.0
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)
_USER_AGENT = "agentci"


class HTTPError(Exception):
    """Any failure of one exchange (subclasses say which)."""


class InvalidURL(HTTPError, ValueError):
    pass


class ConnectError(HTTPError):
    """No connection (refused, unreachable, name not found, TLS handshake or the proxy's
    refusal): nothing was sent."""


class Disconnected(HTTPError):
    """The connection closed before the whole answer arrived."""


class BadAnswer(HTTPError):
    """The server's bytes are not an HTTP/1.x answer (or its head is too large)."""


#: the caller's view of an answer: `on_answer(status, headers)` returns the body's sink
Sink = Callable[[bytes], None]
OnAnswer = Callable[[int, "Headers"], Sink]


class Headers(dict[str, str]):
    """Response headers by lower-case name (repeats joined with ", "); `get` takes any case."""

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self, key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


class Target(NamedTuple):
    https: bool
    host: str
    port: int
    path: str  # origin-form: path and query
    authority: str  # the Host header

    @property
    def key(self) -> tuple[bool, str, int]:
        return (self.https, self.host, self.port)


def target(url: str) -> Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"{_shown(url)}: {exc}") from None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host:
        raise InvalidURL(f"{_shown(url)}: not an http(s) URL with a host")
    if parts.username or parts.password:
        raise InvalidURL(f"{_shown(url)}: credentials in the URL are not sent; use a header")
    default = 443 if scheme == "https" else 80
    authority = parts.netloc if port not in (None, default) else _bracket(host)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme == "https", host, port or default, path, authority)


def _shown(url: str) -> str:
    """`url` for a message: no user:password and no query (either may hold a key)."""
    head = url.split("?", 1)[0].split("#", 1)[0]
    scheme, sep, rest = head.partition("://")
    if sep:
        netloc, slash, path = rest.partition("/")
        head = f"{scheme}://{netloc.rpartition('@')[2]}{slash}{path}"
    return repr(head[:200])


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class _Conn(asyncio.Protocol):
    """One connection: writes a request, parses its answer, and tells the waiting exchange."""

    def __init__(self, key: tuple[bool, str, int]) -> None:
        self.key = key
        self.counted = True  # in its pool's open count until dropped
        self.transport: Any = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.used = 0
        self.idle_since = 0.0
        self.keep = False
        # the exchange in progress
        self.waiter: asyncio.Future[tuple[int, Headers]] | None = None
        self.on_answer: OnAnswer | None = None
        self.sink: Sink | None = None
        self.raw: list[tuple[bytes, bytes]] = []
        self.head_bytes = 0
        self.head_seen = 0  # bytes received before the final answer's head completed
        self.answer: tuple[int, Headers] | None = None
        self.until_eof = False
        self.got_bytes = False
        # the proxy's answer to CONNECT, before TLS starts
        self.tunnel: asyncio.Future[bytes] | None = None
        self.tunnel_buf = bytearray()

    # -- asyncio.Protocol

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.tunnel is not None:
            self._tunnel_data(data)
            return
        if self.waiter is None or self.waiter.done():
            self.closed = True  # bytes nobody asked for: the connection cannot be trusted
            self.transport.abort()
            return
        self.got_bytes = True
        if self.answer is None:
            self.head_seen += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            self._fail(cause if isinstance(cause, Exception) else BadAnswer(str(exc)))
        except httptools.HttpParserError as exc:
            self._fail(BadAnswer(f"not an HTTP/1.x answer ({exc})"))
        else:
            if self.answer is None and self.head_seen > MAX_HEAD_BYTES:
                # a head line that never ends: llhttp holds its bytes until it does
                self._fail(BadAnswer(f"response head larger than {MAX_HEAD_BYTES:,} bytes"))
                return
            if _QUICKACK is not None and self.waiter is not None and not self.waiter.done():
                # the rest of this answer is coming: ACK at once, so a server that writes head
                # and body in two small sends without TCP_NODELAY (Python's http.server: the
                # test stand-ins, some local model servers) does not have its second send held
                # by Nagle until Linux's delayed ACK fires. Measured on a kept-alive connection
                # to such a server: 44 ms per sequential call without, 0.15 ms with. Not sticky,
                # hence per read; provider front ends set TCP_NODELAY and are not slowed.
                sock = self.transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)

    def eof_received(self) -> bool:
        self.closed = True  # not reusable from now on, before connection_lost says so
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.tunnel is not None and not self.tunnel.done():
            self.tunnel.set_exception(ConnectError("the proxy closed the connection"))
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.until_eof and self.answer is not None and exc is None:
            self._finish()  # the body ran to the (clean) end of the connection, as announced
            return
        why = f" ({exc})" if exc else ""
        waiter.set_exception(
            Disconnected(
                "the server closed the connection before answering" + why
                if not self.got_bytes
                else "the connection closed in the middle of the answer" + why
            )
        )

    # -- httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_bytes += len(name) + len(value) + 4
        if self.head_bytes > MAX_HEAD_BYTES:
            raise BadAnswer(f"response headers larger than {MAX_HEAD_BYTES:,} bytes")
        self.raw.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        raw, self.raw, self.head_bytes = self.raw, [], 0
        if status < 200:
            return  # 1xx: informational, the answer follows
        fields: dict[str, str] = {}
        for name, value in raw:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            fields[key] = f"{fields[key]}, {text}" if key in fields else text
        headers = Headers(fields)
        self.answer = (status, headers)
        self.until_eof = (
            "content-length" not in headers
            and "transfer-encoding" not in headers
            and status not in (204, 304)
        )
        assert self.on_answer is not None
        self.sink = self.on_answer(status, headers)

    def on_body(self, body: bytes) -> None:
        if self.sink is not None:
            self.sink(body)

    def on_message_complete(self) -> None:
        if self.answer is None:
            return  # the end of a 1xx answer
        self.keep = self.parser.should_keep_alive()
        self._finish()

    # -- the exchange

    def send(self, request: bytes, on_answer: OnAnswer) -> asyncio.Future[tuple[int, Headers]]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.on_answer, self.answer, self.sink = on_answer, None, None
        self.until_eof = self.got_bytes = self.keep = False
        self.head_seen = 0
        self.used += 1
        self.transport.write(request)
        return self.waiter

    def _finish(self) -> None:
        waiter, answer = self.waiter, self.answer
        self.on_answer = self.sink = None
        if waiter is not None and not waiter.done() and answer is not None:
            waiter.set_result(answer)

    def _fail(self, exc: Exception) -> None:
        self.keep = False
        self.abort()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    # -- CONNECT through a proxy

    def _tunnel_data(self, data: bytes) -> None:
        assert self.tunnel is not None
        self.tunnel_buf += data
        end = self.tunnel_buf.find(b"\r\n\r\n")
        if self.tunnel.done():
            return
        if end >= 0:
            self.tunnel.set_result(bytes(self.tunnel_buf[: end + 4]))
        elif len(self.tunnel_buf) > MAX_HEAD_BYTES:
            self.tunnel.set_exception(
                ConnectError(
                    f"the proxy's answer to CONNECT is larger than {MAX_HEAD_BYTES:,} bytes"
                )
            )


class Pool:
    """Kept-alive connections, at most `limit` open at once, for one provider.

    `send` writes one request and resolves when its answer is complete; the body goes to the
    sink `on_answer(status, headers)` returns, as it arrives (the caller bounds and decodes it).
    A failed exchange is never sent again here: each try is the caller's (the runner counts
    and paces them), and its connection is closed."""

    def __init__(
        self,
        limit: int,
        *,
        connect_timeout: float = 10.0,
        ssl_context: Callable[[], ssl.SSLContext] | None = None,
        proxy: str | None = None,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.limit = max(1, limit)
        self.connect_timeout = connect_timeout
        self._ssl_factory = ssl_context
        self._ssl: ssl.SSLContext | None = None
        self.proxy: Target | None = None
        self._proxy_auth: str | None = None
        self._proxy_error: InvalidURL | None = None  # raised by `send`, where callers catch it
        if proxy:
            try:
                # the credentials are the proxy's (Proxy-Authorization), not a URL's to refuse
                self._proxy_auth, hop = _proxy_auth(proxy)
                self.proxy = target(hop)
            except InvalidURL as exc:
                self._proxy_error = exc
        self.idle_seconds = idle_seconds
        self._idle: dict[tuple[bool, str, int], list[_Conn]] = collections.defaultdict(list)
        self._open = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._targets: dict[str, Target] = {}
        self._closed = False

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        on_answer: OnAnswer,
    ) -> tuple[int, Headers]:
        if self._proxy_error is not None:
            raise self._proxy_error
        dest = self._targets.get(url)
        if dest is None:
            if len(self._targets) >= 64:  # a provider posts to a handful of URLs
                self._targets.clear()
            dest = self._targets[url] = target(url)
        request = self._request(method, dest, headers, body)
        conn = await self._acquire(dest)
        try:
            answer = await conn.send(request, on_answer)
        except BaseException:
            conn.abort()  # failed, cancelled or refused mid-answer: its state is unknown
            self._drop(conn)
            raise
        self._release(conn)
        return answer

    async def close(self) -> None:
        self._closed = True
        for conns in self._idle.values():
            for conn in conns:
                conn.abort()
        self._idle.clear()

    # -- the request bytes

    def _request(self, method: str, dest: Target, headers: Mapping[str, str], body: bytes) -> bytes:
        plain_proxy = self.proxy is not None and not dest.https
        lines = [
            # absolute-form to a proxy (RFC 9112 section 3.2.2), rebuilt: no fragment, no userinfo
            f"{method} {f'http://{dest.authority}{dest.path}' if plain_proxy else dest.path} HTTP/1.1",
            f"Host: {dest.authority}",
        ]
        fields: dict[str, str] = {}  # one line per name, whatever its case: the last wins
        for name, value in headers.items():
            if name not in _valid_names:
                if not _token(name):
                    raise InvalidURL(f"header name {name!r} is not an HTTP token")
                _valid_names.add(name)
            if "\r" in value or "\n" in value:
                raise InvalidURL(f"header {name!r}: a value cannot hold a line break")
            key = name.lower()
            if key not in _FRAMING:
                fields.pop(key, None)
                fields[key] = f"{name}: {value}"
        lines += fields.values()
        if "user-agent" not in fields:
            lines.append(f"User-Agent: {_USER_AGENT}")
        if plain_proxy and self._proxy_auth:
            lines.append(f"Proxy-Authorization: {self._proxy_auth}")
        lines.append(f"Content-Length: {len(body)}")
        try:
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError:
            raise InvalidURL("a header holds characters HTTP headers cannot carry") from None
        return head + body

    # -- connections

    async def _acquire(self, dest: Target) -> _Conn:
        while True:
            idle = self._idle.get(dest.key)
            now = time.monotonic()
            while idle:
                conn = idle.pop()
                if not conn.closed and now - conn.idle_since < self.idle_seconds:
                    return conn
                self._drop(conn)
            if self._open >= self.limit:
                self._close_other_idle(dest.key)
            if self._open < self.limit:
                self._open += 1
                try:
                    return await self._connect(dest)
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif waiter.done() and not waiter.cancelled():
                    self._wake()  # pass the turn on
                raise

    def _close_other_idle(self, key: tuple[bool, str, int]) -> None:
        for other, conns in self._idle.items():
            if other != key and conns:
                self._drop(conns.pop(0))
                return

    def _release(self, conn: _Conn) -> None:
        if conn.keep and not conn.closed and not self._closed:
            conn.idle_since = time.monotonic()
            self._idle[conn.key].append(conn)
            self._wake()
        else:
            self._drop(conn)

    def _drop(self, conn: _Conn) -> None:
        if conn.transport is not None and not conn.transport.is_closing():
            conn.transport.close()
        conn.closed = True
        if conn.counted:
            conn.counted = False
            self._open -= 1
            self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _connect(self, dest: Target) -> _Conn:
        loop = asyncio.get_running_loop()
        conn = _Conn(dest.key)
        ssl_ctx = self._context() if dest.https else None
        hop = self.proxy or dest  # a proxy is http:// (`_proxy_auth`): TLS starts inside it
        direct_tls = ssl_ctx if hop is dest else None
        try:
            await within(
                self.connect_timeout,
                loop.create_connection(
                    lambda: conn,
                    hop.host,
                    hop.port,
                    ssl=direct_tls,
                    server_hostname=hop.host if direct_tls else None,
                ),
            )
            if hop is not dest and ssl_ctx is not None:
                await within(self.connect_timeout, self._tunnel(conn, dest, ssl_ctx))
        except asyncio.TimeoutError:
            conn.abort()
            raise ConnectError(
                f"no connection to {hop.host}:{hop.port} within {self.connect_timeout:g} s"
            ) from None
        except OSError as exc:  # refused, unreachable, no such name, TLS verification
            conn.abort()
            raise ConnectError(f"{hop.host}:{hop.port}: {exc.strerror or exc}") from None
        except BaseException:  # the proxy's refusal, or cancelled (the request's deadline)
            conn.abort()
            raise
        return conn

    async def _tunnel(self, conn: _Conn, dest: Target, ssl_ctx: Any) -> None:
        """CONNECT host:port through the proxy (RFC 9110 section 9.3.6), then TLS inside it."""
        loop = asyncio.get_running_loop()
        conn.tunnel = loop.create_future()
        where = f"{_bracket(dest.host)}:{dest.port}"
        lines = [f"CONNECT {where} HTTP/1.1", f"Host: {where}"]
        if self._proxy_auth:
            lines.append(f"Proxy-Authorization: {self._proxy_auth}")
        conn.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = await conn.tunnel
        status = head.split(b"\r\n", 1)[0].split(b" ")
        conn.tunnel = None
        if len(status) < 2 or not status[1].startswith(b"2"):
            line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")[:200]
            raise ConnectError(f"the proxy refused CONNECT {where}: {line!r}")
        conn.transport = await loop.start_tls(
            conn.transport, conn, ssl_ctx, server_hostname=dest.host
        )

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            if self._ssl_factory is not None:
                self._ssl = self._ssl_factory()
            else:
                import ssl

                self._ssl = ssl.create_default_context()
        return self._ssl


def _proxy_auth(proxy: str) -> tuple[str | None, str]:
    """The proxy's Proxy-Authorization (RFC 7617 Basic, from the URL's user:password) and its
    URL without them (so no error message repeats the password)."""
    try:
        parts = urlsplit(proxy)
    except ValueError as exc:
        raise InvalidURL(f"proxy URL: {exc}") from None
    if parts.scheme.lower() != "http":
        raise InvalidURL(
            f"proxy {parts.scheme}://{parts.hostname}: only http:// proxies are supported"
        )
    hop = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    if not parts.username:
        return None, hop
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode(), hop


_valid_names: set[str] = set()
#: the message's framing is the client's to write (RFC 9112 section 6): a caller's value for
#: these would contradict it
_FRAMING = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _token(name: str) -> bool:
    """An HTTP field name (RFC 9110 section 5.1: a token)."""
    return bool(name) and all(c in _TCHAR for c in name)


async def within(seconds: float, aw: Any) -> Any:
    """`await aw` cut at `seconds` (asyncio.TimeoutError): on 3.11+ without the task per call
    that wait_for makes."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await aw
    return await asyncio.wait_for(aw, seconds)
