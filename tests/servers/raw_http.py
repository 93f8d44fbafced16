"""Raw HTTP/1.1 peers on 127.0.0.1 for the client tests (tests/http1/): a TCP server
whose connections each run a test's handler on plain sockets (so a test can send exactly the
bytes, the framing and the timing it means), and an HTTP proxy on top of it.

The published references they follow (the HTTP standards, never agentci's client):
- RFC 9112, HTTP/1.1, https://www.rfc-editor.org/rfc/rfc9112
  - §2.1 message format (https://www.rfc-editor.org/rfc/rfc9112#section-2.1): a request is
    read as request line, header fields, an empty line, then the body (`Peer.read_request`);
  - §6.2 and §6.3 rule 6 (https://www.rfc-editor.org/rfc/rfc9112#section-6.3): the body is
    Content-Length bytes (the client under test always sends one); `answer()` frames by it;
  - §3.2.1 origin-form, §3.2.2 absolute-form, §3.2.3 authority-form
    (https://www.rfc-editor.org/rfc/rfc9112#section-3.2): what `Proxy` reads and forwards;
  - §9.3 persistence (https://www.rfc-editor.org/rfc/rfc9112#section-9.3): `keep_alive`
    answers every request on one connection; §9.6 (https://www.rfc-editor.org/rfc/rfc9112#section-9.6):
    the proxy's upstream request says `Connection: close`.
- RFC 9110, HTTP semantics, https://www.rfc-editor.org/rfc/rfc9110
  - §9.3.6 CONNECT (https://www.rfc-editor.org/rfc/rfc9110#section-9.3.6): any 2xx answer
    makes the connection a tunnel, bytes relayed both ways until either side closes
    (`Proxy._tunnel`, `_relay`);
  - §11.7.2 Proxy-Authorization (https://www.rfc-editor.org/rfc/rfc9110#section-11.7.2) and
    §7.6.1 Connection (https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1): hop-by-hop,
    consumed by the proxy and not forwarded.
Where a test needs other bytes (chunked, 1xx, resets) its handler writes them and cites its
section beside it. Both servers only ever connect to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024


@dataclass
class Request:
    line: str  # e.g. "GET /x HTTP/1.1"
    headers: list[tuple[str, str]]
    body: bytes
    conn: int  # which connection carried it (0: the first the server accepted)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def target(self) -> str:
        return self.line.split(" ")[1]


@dataclass
class Peer:
    """One accepted connection, as its handler sees it."""

    sock: socket.socket
    server: RawServer
    index: int  # 0 for the first connection the server accepted
    buf: bytearray = field(default_factory=bytearray)

    def read_request(self) -> Request | None:
        """The next request, or None when the client closed (or sent no full head)."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD or not self._fill():
                return None
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf[:] = rest
        line, *fields = head.decode("latin-1").split("\r\n")
        headers = [(k.strip(), v.strip()) for k, _, v in (f.partition(":") for f in fields)]
        req = Request(line, headers, b"", self.index)
        size = int(req.header("Content-Length") or 0)
        while len(self.buf) < size:
            if not self._fill():
                return None
        req.body, self.buf[:] = bytes(self.buf[:size]), self.buf[size:]
        with self.server.lock:
            self.server.requests.append(req)
        return req

    def _fill(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except OSError:
            return False
        self.buf += data
        return bool(data)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)


Handler = Callable[[Peer], None]


class RawServer:
    """Listens on 127.0.0.1:<free port>; each accepted connection runs `handler(peer)` on its
    own thread and is closed when the handler returns. Counts what a test asserts on:
    connections accepted, open now, most open at once, and every request read."""

    def __init__(
        self, handler: Handler, *, tls: ssl.SSLContext | None = None, backlog: int = 64
    ) -> None:
        self.handler, self.tls = handler, tls
        self.lock = threading.Lock()
        self.accepted = self.open = self.peak = 0
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []  # raised by handlers (a TLS handshake refused...)
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=backlog)
        self.port = self.sock.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._peers: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            if not select.select([self.sock], [], [], 0.02)[0]:
                continue
            try:
                sock, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                index = self.accepted
                self.accepted += 1
                self.open += 1
                self.peak = max(self.peak, self.open)
                self._peers.add(sock)
            thread = threading.Thread(target=self._serve, args=(sock, index), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, index: int) -> None:
        sock.settimeout(5.0)  # no handler thread outlives a stuck test by long
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each send its own segment
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            self.handler(Peer(sock, self, index))
        except (OSError, ValueError) as exc:  # the client hung up, or refused our certificate
            with self.lock:
                self.errors.append(exc)
        finally:
            with self.lock:
                self.open -= 1
                self._peers.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        self._stop.set()
        self._accepter.join(2)
        self.sock.close()
        with self.lock:
            peers = list(self._peers)
        for sock in peers:  # wake handlers blocked in recv
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(2)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def answer(status: str = "200 OK", body: bytes = b"ok", headers: str = "") -> bytes:
    """A complete answer framed by Content-Length (RFC 9112 §6.2)."""
    return (
        f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{headers}\r\n".encode("latin-1")
        + body
    )


def keep_alive(peer: Peer) -> None:
    """Answer every request on the connection with 200 and its request line as the body,
    until the client closes (RFC 9112 §9.3: HTTP/1.1 connections persist by default)."""
    while (req := peer.read_request()) is not None:
        peer.send(answer(body=req.line.encode()))


class Proxy:
    """The proxy's handler. `connect_answer` replaces CONNECT's 200 (a refusal such as 407);
    `stall` makes it read the CONNECT and never answer."""

    def __init__(self, connect_answer: bytes | None = None, stall: bool = False) -> None:
        self.connect_answer, self.stall = connect_answer, stall

    def __call__(self, peer: Peer) -> None:
        req = peer.read_request()
        if req is None:
            return
        method, target, _ = req.line.split(" ")
        if method == "CONNECT":
            self._tunnel(peer, target)
            return
        parts = urlsplit(target)  # absolute-form: the proxy reads the origin from it
        if parts.hostname != "127.0.0.1" or parts.port is None:
            peer.send(answer("403 Forbidden"))
            return
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # hop-by-hop fields end here (RFC 9110 §7.6.1, §11.7.2)
        hop_by_hop = {"proxy-authorization", "proxy-connection", "connection"}
        fields = "".join(f"{k}: {v}\r\n" for k, v in req.headers if k.lower() not in hop_by_hop)
        upstream = socket.create_connection(("127.0.0.1", parts.port), timeout=5)
        with upstream:
            upstream.sendall(
                f"{method} {path} HTTP/1.1\r\n{fields}Connection: close\r\n\r\n".encode("latin-1")
                + req.body
            )
            while data := upstream.recv(65536):
                peer.send(data)
        # then this connection closes: the client learns the end of the exchange from the
        # relayed Content-Length, and that the connection is gone from the close

    def _tunnel(self, peer: Peer, authority: str) -> None:
        if self.stall:
            peer.sock.recv(1)  # until the client gives up
            return
        if self.connect_answer is not None:
            peer.send(self.connect_answer)
            return
        host, _, port = authority.rpartition(":")
        if host != "127.0.0.1":
            peer.send(answer("403 Forbidden"))
            return
        upstream = socket.create_connection((host, int(port)), timeout=5)
        with upstream:
            # RFC 9110 §9.3.6: a 2xx to CONNECT, then the connection is a tunnel
            peer.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if peer.buf:
                upstream.sendall(bytes(peer.buf))
            _relay(peer.sock, upstream)


def _relay(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    ends = {a: b, b: a}
    while True:
        ready, _, _ = select.select(list(ends), [], [], 5)
        if not ready:
            return
        for src in ready:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            ends[src].sendall(data)
