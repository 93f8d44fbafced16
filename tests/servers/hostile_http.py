"""An OpenAI-compatible endpoint on 127.0.0.1 that misbehaves on purpose, to bound agentci by.

The user turn picks the behaviour with a marker:

  [[drip]]          200 + headers at once, then the body one byte a second (never ends in time)
  [[drip-headers]]  the status line, then a header one byte a second
  [[endless]]       200, `Transfer-Encoding: chunked`, 64 KiB chunks without end
  [[huge]]          200 with a 100 MB body announced by Content-Length
  [[gzip-bomb]]     200, `Content-Encoding: gzip`: 100 KB on the wire, 100 MB decoded
  [[retry-after]]   429 with `Retry-After: 3600`
  [[echo-secrets]]  a normal answer whose text repeats the bearer token and the `echo` values
                    (the other secrets of the job), raw and in the escaped forms writers produce
  [[error-secret]]  a 400 whose error message holds the bearer token

What it follows (not agentci's client):
- the answer body is CreateChatCompletionResponse of openai/openai-openapi (openapi.yaml:
  `choices[].message.content`, `usage`), the error body the `Error` object
  (`{"error": {"message", "type"}}`) the same file describes for 4xx;
- Retry-After is RFC 9110 §10.2.3 (delay-seconds); chunked framing is RFC 9112 §7.1
  (`<hex size>CRLF<data>CRLF`, ended by a zero chunk we never send); Content-Encoding gzip
  is RFC 9110 §8.4.1.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MARKERS = (
    "drip-headers",
    "drip",
    "endless",
    "huge",
    "gzip-bomb",
    "retry-after",
    "echo-secrets",
    "error-secret",
)


def escaped_forms(value: str) -> list[str]:
    """The value raw and as markdown, JSON, URL and HTML writers would carry it."""
    md = "".join("\\" + c if c in "\\`*_{}[]()#+-.!|~=:$" else c for c in value)
    return [
        value,
        md,
        json.dumps(value)[1:-1],
        urllib.parse.quote(value, safe=""),
        f"<b>{value}</b>",
    ]


def _answer(text: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-hostile",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    ).encode()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up on a misbehaving answer is the point, not an error

    echo: tuple[str, ...] = ()
    requests = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, *a: Any) -> None:
        pass

    def do_POST(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        self.server.requests += 1
        user = next(
            (
                str(m.get("content"))
                for m in reversed(body.get("messages") or [])
                if m.get("role") == "user"
            ),
            "",
        )
        mode = next((m for m in MARKERS if f"[[{m}]]" in user), "")
        with contextlib.suppress(
            BrokenPipeError, ConnectionResetError
        ):  # the client gave up: what we wanted
            getattr(self, "mode_" + mode.replace("-", "_"), self.mode_)()

    def head(self, code: int, headers: dict[str, str]) -> None:
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def mode_(self) -> None:
        data = _answer("hello")
        self.head(200, {"Content-Type": "application/json", "Content-Length": str(len(data))})
        self.wfile.write(data)

    def mode_drip(self) -> None:
        data = _answer("x" * 500)
        self.head(200, {"Content-Type": "application/json", "Content-Length": str(len(data))})
        for b in data:
            self.wfile.write(bytes([b]))
            self.wfile.flush()
            time.sleep(1.0)

    def mode_drip_headers(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(3600):
            self.wfile.write(b"a")
            self.wfile.flush()
            time.sleep(1.0)

    def mode_endless(self) -> None:
        self.head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        chunk = b"x" * 65536
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        self.wfile.write(b'1\r\n"\r\n')
        for _ in range(1_000_000):  # 64 GB: far past any limit
            self.wfile.write(frame)

    def mode_huge(self) -> None:
        size = 100 * 1024 * 1024
        self.head(200, {"Content-Type": "application/json", "Content-Length": str(size)})
        block = b" " * (1024 * 1024)
        for _ in range(100):
            self.wfile.write(block)

    def mode_gzip_bomb(self) -> None:
        data = gzip.compress(b" " * (100 * 1024 * 1024), compresslevel=9)
        self.head(
            200,
            {
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
                "Content-Length": str(len(data)),
            },
        )
        self.wfile.write(data)

    def mode_retry_after(self) -> None:
        data = json.dumps(
            {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}
        ).encode()
        self.head(
            429,
            {
                "Content-Type": "application/json",
                "Retry-After": "3600",
                "Content-Length": str(len(data)),
            },
        )
        self.wfile.write(data)

    def _secrets(self) -> list[str]:
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        return [v for v in [token, *self.server.echo] if v]

    def mode_echo_secrets(self) -> None:
        text = "Sure, here are your keys: " + " ; ".join(
            f for v in self._secrets() for f in escaped_forms(v)
        )
        data = _answer(text)
        self.head(200, {"Content-Type": "application/json", "Content-Length": str(len(data))})
        self.wfile.write(data)

    def mode_error_secret(self) -> None:
        data = json.dumps(
            {
                "error": {
                    "message": f"Incorrect API key provided: {self._secrets()[0]}",
                    "type": "invalid_request_error",
                }
            }
        ).encode()
        self.head(400, {"Content-Type": "application/json", "Content-Length": str(len(data))})
        self.wfile.write(data)


class Hostile:
    """A running hostile server; `url` is the OpenAI base URL (…/v1)."""

    def __init__(self, echo: tuple[str, ...] = ()) -> None:
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.echo = echo
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def requests(self) -> int:
        return self.server.requests

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
