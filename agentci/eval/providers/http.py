"""Shared HTTP plumbing for the API providers: one connection pool (`agentci.http1`) per
event loop, error classification.

Providers only speak their API (`acomplete`, async); this module turns transport trouble
into `ProviderError`s the runner knows how to retry (429, 5xx, timeouts, dropped
connections, unparseable bodies) and everything else into a stated, final error. The eval
engine awaits `acomplete` on its own loop; synchronous callers (a deploy's smoke test, the
`similar` assertion's embeddings, a plugin subclass calling `complete`) get the same code
run on one background loop (`run_sync`). The client is imported here, lazily, so commands
that never call a model start without it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from agentci import bounds
from agentci.eval.providers.base import Provider, ProviderConfig, ProviderError, host_of
from agentci.eval.providers.ratelimit import RateState

if TYPE_CHECKING:
    from agentci import http1

T = TypeVar("T")

#: Retry-After is reported as asked (up to this, to keep the number finite); the runner
#: fails the case when it is beyond `eval.max_retry_after` rather than wait.
MAX_RETRY_AFTER = 10 * 365 * 86400.0
#: connections per provider when the engine does not say (its concurrency)
DEFAULT_POOL = 8


def make_client(
    config: ProviderConfig, *, https: bool = True, proxy: str | None = None
) -> http1.Pool:
    """One kept-alive connection pool (made on the running loop). Why this client and not
    httpx or aiohttp (httpcore's async pool re-scans every connection for every queued
    request: 7.8x the ideal at 64 in flight; aiohttp's import and per-request set-up cost
    ~0.2 s of a 2,000-answer run at 256 in flight): `agentci.http1` and
    benchmarks/bench_clients.py."""
    from agentci import http1

    pool = int(config.options.get("max_connections") or DEFAULT_POOL)
    return http1.Pool(
        pool,
        connect_timeout=min(config.timeout, 10.0),
        ssl_context=_ssl_context if https else None,
        proxy=proxy,
    )


def _ssl_context() -> Any:
    """The CA bundle httpx (agentci's client before #15) verifies with: SSL_CERT_FILE /
    SSL_CERT_DIR when set, else certifi's, so a runner without system CAs still works."""
    import ssl

    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if not cafile and not capath:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:
            pass
    return ssl.create_default_context(cafile=cafile or None, capath=capath or None)


def proxy_for(url: str) -> str | None:
    """The HTTP(S)_PROXY that applies to `url` (NO_PROXY honoured), as httpx and requests read them."""
    if sys.platform == "linux" and not any(k.lower().endswith("_proxy") for k in os.environ):
        return None  # what getproxies() finds on Linux without such a variable, minus its import
    import urllib.request

    scheme = url.split("://", 1)[0].lower()
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host_of(url)):
        return None
    return proxy


_sync_loop: asyncio.AbstractEventLoop | None = None
_sync_lock = threading.Lock()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a provider coroutine from synchronous code, on one background event loop shared
    by all such callers (so their connections are pooled), and wait for its result."""
    global _sync_loop
    with _sync_lock:
        if _sync_loop is None:
            _sync_loop = asyncio.new_event_loop()
            threading.Thread(
                target=_sync_loop.run_forever, name="agentci-http", daemon=True
            ).start()
        loop = _sync_loop
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


def retry_after(value: str | None, ms: str | None = None) -> float | None:
    """Seconds to wait (capped at MAX_RETRY_AFTER), as the official SDKs read it."""
    wait = requested_wait(value, ms)
    return None if wait is None else max(0.0, min(wait, MAX_RETRY_AFTER))


def requested_wait(value: str | None, ms: str | None = None) -> float | None:
    """The wait a server asks for, uncapped, read as openai-python `_base_client.py`
    `_parse_retry_after_header` does: `retry-after-ms` first (milliseconds, more precise),
    then `Retry-After` as seconds (floats allowed) or an HTTP date."""
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        import email.utils  # only for an HTTP-date Retry-After

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def should_retry(status: int, header: str | None) -> bool:
    """openai-python / anthropic-sdk-python `_should_retry`: the server's `x-should-retry`
    (true/false) decides when present; else 408, 409, 429 and 5xx are retried."""
    if header == "true":
        return True
    if header == "false":
        return False
    return status in (408, 409, 429) or status >= 500


async def post_json(
    client: http1.Pool,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    who: str,
    *,
    timeout: float = 60.0,
    max_bytes: int | None = None,
    observe: Callable[[Any], None] | None = None,
) -> Any:
    """POST a JSON body and return the parsed JSON answer, or raise ProviderError.
    `observe(headers)` sees every answer's headers (rate-limit state), errors included."""
    from agentci import http1

    try:
        resp = await bounds.request(
            client,
            "POST",
            url,
            timeout=timeout,
            max_bytes=max_bytes or bounds.max_response_bytes(),
            headers={**headers, "Content-Type": "application/json"},
            body=_json_bytes(body),
        )
    except bounds.TooLarge as exc:
        raise ProviderError(
            f"{who}: {exc} (raise eval.max_response_bytes or {bounds.MAX_RESPONSE_ENV})"
        ) from None
    except bounds.BadBody as exc:
        raise ProviderError(f"{who}: {exc}", retryable=True) from None
    except bounds.DeadlineExceeded:
        if bounds.run_expired():
            raise ProviderError(f"{who}: {bounds.run_deadline_reason()}") from None
        raise ProviderError(
            f"{who}: timed out: no complete answer within the {timeout:g} s request deadline (eval.timeout)",
            retryable=True,
        ) from None
    except http1.InvalidURL as exc:
        raise ProviderError(f"{who}: invalid request: {_short(exc)}") from None
    except http1.ConnectError as exc:
        raise ProviderError(
            f"{who}: cannot connect to {_origin(url)} ({_short(exc)})", retryable=True
        ) from None
    except (http1.Disconnected, OSError) as exc:
        raise ProviderError(f"{who}: connection dropped ({_short(exc)})", retryable=True) from None
    except http1.BadAnswer as exc:
        raise ProviderError(f"{who}: bad HTTP answer: {_short(exc)}", retryable=True) from None
    status = resp.status_code
    if observe is not None:
        observe(resp.headers)
    if status >= 400:
        detail, param, code = _error_detail(resp)
        retryable = should_retry(status, resp.headers.get("x-should-retry"))
        wait = requested_wait(resp.headers.get("retry-after"), resp.headers.get("retry-after-ms"))
        # A wait beyond eval.max_retry_after (GitHub Models answers a spent daily quota with
        # hours of Retry-After) is refused by the runner, which knows the configured cap.
        message = f"{who}: HTTP {status}{': ' + detail if detail else ''}"
        raise ProviderError(
            message,
            retryable=retryable,
            status=status,
            param=param,
            code=code,
            retry_after=max(0.0, wait) if retryable and wait is not None else None,
        )
    try:
        return resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        snippet = resp.text[:80].replace("\n", " ")
        raise ProviderError(
            f"{who}: response is not valid JSON: {snippet!r}", retryable=True
        ) from None


def _json_bytes(body: Any) -> bytes:
    """The request body as JSON bytes: orjson (~10x json's encoder); json for what orjson
    refuses (a lone surrogate, an integer past 64 bits)."""
    import orjson

    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body).encode()


def _error_detail(resp: bounds.Answer) -> tuple[str, str | None, str | None]:
    """(message, param, code) from an error body. OpenAI (openai-openapi `ErrorResponse`):
    {"error": {"message", "type", "param", "code"}}; Anthropic: {"type": "error", "error":
    {"type", "message"}} (its `type` serves as the code); GitHub Models/Azure: OpenAI's shape."""
    try:
        data = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return resp.text[:200].strip(), None, None
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        param, code = err.get("param"), err.get("code") or err.get("type")
        return (
            str(err.get("message") or err.get("type") or "")[:300],
            param if isinstance(param, str) else None,
            code if isinstance(code, str) else None,
        )
    if isinstance(err, str):
        return err[:300], None, None
    return "", None, None


def _origin(url: str) -> str:
    return url.split("/", 3)[2] if "://" in url else url


def _short(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:200]


def parse_arguments(raw: Any) -> dict[str, Any]:
    """Tool-call arguments arrive as a JSON string (OpenAI) or an object (Anthropic)."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            return {"_raw": raw}
        return value if isinstance(value, dict) else {"_value": value}
    return {}


class HTTPProvider(Provider):
    """A provider behind an HTTP API: one connection pool per event loop, made on first use. Subclasses set where the API lives and implement `acomplete` (and `aembed`);
    the synchronous `complete`/`embed` run those on the background loop."""

    #: env var that moves the API (as the official SDKs honour it), and the default
    base_url_env: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        base = config.base_url or os.environ.get(self.base_url_env) or self.default_base_url
        self.base_url = base.rstrip("/")
        self._host = host_of(self.base_url)  # asked per request (which key may go there)
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}
        self._lock = threading.Lock()
        self.rate = RateState()
        self._notes: dict[str, None] = {}  # ordered set
        # read once: the environment does not change during a run (and reading it per
        # request cost more CPU than the request itself)
        self._proxy = proxy_for(self.base_url)
        self._max_bytes = bounds.max_response_bytes(config.options.get("max_response_bytes"))

    def pace(self) -> float:
        return self.rate.acquire()

    def note(self, text: str) -> None:
        with self._lock:
            self._notes[text] = None

    def notes(self) -> list[str]:
        with self._lock:
            return list(self._notes)

    async def apost(self, url: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
        """post_json on this provider's client, its rate-limit headers observed."""
        return await post_json(
            self._http(),
            url,
            headers,
            body,
            self.name,
            timeout=self.config.timeout,
            max_bytes=self._max_bytes,
            observe=self.rate.observe,
        )

    def complete(self, request: Any) -> Any:
        return run_sync(self.acomplete(request))

    def embed(self, texts: list[str], model: str | None = None) -> list[list[float]]:
        return run_sync(self.aembed(texts, model))

    async def aembed(self, texts: list[str], model: str | None = None) -> list[list[float]]:
        raise ProviderError(f"the {self.name} provider has no embedding endpoint")

    @property
    def id(self) -> str:
        return f"{self.name}:{self.base_url}"

    def endpoint_host(self) -> str:
        return self._host

    def _http(self) -> Any:
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.get(loop)
            if client is None:
                client = self._clients[loop] = make_client(
                    self.config, https=self.base_url.startswith("https:"), proxy=self._proxy
                )
            return client

    async def aclose(self) -> None:
        """Close this loop's client (the engine calls it before its loop ends)."""
        with self._lock:
            client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, {}
        for loop, client in clients.items():
            if loop is _sync_loop and not loop.is_closed():
                asyncio.run_coroutine_threadsafe(client.close(), loop).result()
