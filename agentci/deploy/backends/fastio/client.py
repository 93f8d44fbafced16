"""HTTP to the Fast.io API as its official client speaks it (MediaFire/fastio_cli `src/client.rs`).

- Bearer token on every request (client.rs `auth_header`), form-encoded POST bodies, no
  redirects followed (a redirect could carry the bearer elsewhere; client.rs:448-470 fails
  closed on them for the same reason).
- The envelope (client.rs:2142-2177): `result` is "yes"/"no" or a bool; anything but "yes"/true
  is a failure, whatever the HTTP status. The payload is `response` when present, else the
  flat body (live answers are flat; the docs show the wrapped form): both are accepted.
- Errors (client.rs:2314-2415): `error.text|message` + `error.code`, or flat `error_message`.
- Rate limits (client.rs:2443-2470): `x-ve-limit-avail` / `-max` / `-expires`, the expiry an
  epoch in seconds; no Retry-After. A 429 waits until that epoch (bounded), and when a response
  says 0 requests are left the next request waits for the window to reset instead of earning a 429.
- Retries use the project's one policy (`agentci.retry`). What may be replayed is decided per
  call: idempotent calls are replayed on 429, 5xx and transport errors; a non-idempotent POST
  (move, copy, placed upload) is replayed blindly only on 429 and on a failed connect (nothing
  reached the server; the CLI's stream/write-back paths draw the same line, upload.rs:1150-1153,
  1311-1316); after a 5xx or a timeout its `check` callback looks first, and a found effect counts
  as success.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentci.deploy.backends.base import BackendError
from agentci.retry import RetryPolicy

USER_AGENT = "agentci-fastio"


class FastioError(BackendError):
    """A definite answer from Fast.io that the request failed (4xx, or `result` false/"no")."""

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status, self.code = status, code


class Transient(BackendError):
    """Retries ran out on 429/5xx/timeouts; the old releases stay live."""


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0  # 429 answers
    waited_s: float = 0.0  # time slept for rate limits and backoff
    by_kind: dict[str, int] = field(default_factory=dict)


def unwrap(body: Any, status: int) -> dict[str, Any]:
    """The payload of an envelope, or FastioError when `result` is not yes/true (client.rs:2142-2177)."""
    if not isinstance(body, dict):
        raise FastioError(f"unexpected answer (HTTP {status}): not a JSON object", status)
    result = body.get("result")
    ok = result == "yes" if isinstance(result, str) else result is True
    if not ok:
        message, code = error_text(body)
        raise FastioError(message or f"API request failed with HTTP {status}", status, code)
    payload = body.get("response")
    if isinstance(payload, dict):
        return payload
    return {k: v for k, v in body.items() if k not in ("result", "current_api_version")}


def error_text(body: Any) -> tuple[str, str]:
    if not isinstance(body, dict):
        return "", ""
    err = body.get("error")
    if isinstance(err, dict):
        return str(err.get("text") or err.get("message") or "")[:300], str(err.get("code") or "")
    return str(body.get("error_message") or err or "")[:300], str(body.get("error_id") or "")


class Client:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        max_wait: float = 120.0,
        backoff_base: float = 0.5,
    ) -> None:
        import httpx

        self.retries, self.max_wait, self.backoff_base = max(0, retries), max_wait, backoff_base
        # Fast.io's own waits (x-ve-limit-expires) are bounded by `max_wait` where they are read.
        self.retry = RetryPolicy(self.retries, backoff_base, 30.0, max_retry_after=None)
        self.http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            timeout=timeout,
            follow_redirects=False,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
        )
        self.stats = Stats()
        self._lock = threading.Lock()
        self._avail: int | None = None
        self._expires: float = 0.0

    def close(self) -> None:
        self.http.close()

    # -- rate limits -------------------------------------------------------------------
    def _note_limits(self, resp: Any) -> None:
        avail, expires = (
            resp.headers.get("x-ve-limit-avail"),
            resp.headers.get("x-ve-limit-expires"),
        )
        with self._lock:
            if avail is not None and avail.strip().isdigit():
                self._avail = int(avail)
            if expires is not None and expires.strip().isdigit():
                self._expires = float(expires)

    def _until_reset(self) -> float:
        return max(0.0, min(self._expires - time.time(), self.max_wait))

    def reserve(self, n: int) -> None:
        """Wait for the rate-limit window to reset when fewer than `n` requests are left in it:
        a swap's two moves then run back to back instead of one waiting out a 429 in between."""
        with self._lock:
            short = self._avail is not None and self._avail < n
            wait = self._until_reset() if short else 0.0
            if short:
                self._avail = None  # a new window; the next answer tells us its size
        if wait > 0:
            self._sleep(wait)

    def _sleep(self, seconds: float) -> None:
        with self._lock:
            self.stats.waited_s += seconds
        time.sleep(seconds)

    # -- requests ----------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        kind: str = "",
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: Any = None,
        raw: bool = False,
        idempotent: bool = True,
        check: Callable[[], Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """One API call with retries; returns the unwrapped payload (or bytes when `raw`).

        A non-idempotent call (`idempotent=False`) is replayed after a 5xx or a timeout only when
        `check()` finds no effect of the earlier attempt; when it finds one, that is the answer."""
        import httpx

        last = ""
        seen: list[str] = []
        for attempt in range(self.retries + 1):
            if last:
                seen.append(last)
            if attempt:
                with self._lock:
                    self.stats.retries += 1
            self.reserve(1)
            with self._lock:
                self.stats.requests += 1
                key = kind or f"{method} {path.split('/')[-2] if path.count('/') > 1 else path}"
                self.stats.by_kind[key] = self.stats.by_kind.get(key, 0) + 1
            extra: dict[str, Any] = {}
            if timeout is not None:
                extra["timeout"] = timeout
            try:
                resp = self.http.request(
                    method, path, params=params, data=data, files=files, **extra
                )
            except (
                httpx.ConnectError
            ) as exc:  # nothing reached the server: any call may be replayed
                last, wait = type(exc).__name__, None
            except httpx.TransportError as exc:  # timeouts, dropped connections: it may have run
                last, wait = type(exc).__name__, None
                if not idempotent:
                    found = self._found(check)
                    if found is not None:
                        return found
            else:
                self._note_limits(resp)
                status = resp.status_code
                if status == 429:  # refused before it ran: safe to replay (upload.rs:1237-1240)
                    with self._lock:
                        self.stats.rate_limited += 1
                        wait = self._until_reset() if self._expires else None
                    last = "HTTP 429 (rate limited)"
                elif status >= 500:
                    last, wait = f"HTTP {status}", None
                    if not idempotent:
                        found = self._found(check)
                        if found is not None:
                            return found
                else:
                    return self._answer(resp, method, path, raw)
            step = self.retry.after_failure(attempt, retry_after=wait)
            if step.wait is None:
                break
            self._sleep(step.wait)
        seen.append(last)
        counts = ", ".join(f"{why} x{seen.count(why)}" for why in dict.fromkeys(seen))
        raise Transient(
            f"Fast.io {method} {_short(path)} failed after {len(seen)} attempts ({counts})"
        )

    def _found(self, check: Callable[[], Any] | None) -> Any:
        if check is None:
            raise Transient(
                "a non-idempotent Fast.io request failed and cannot be checked; not replaying it"
            )
        try:
            return check()
        except BackendError:
            return None

    def _answer(self, resp: Any, method: str, path: str, raw: bool) -> Any:
        status = resp.status_code
        if raw and status < 300:
            return resp.content
        try:
            body = resp.json()
        except ValueError:
            raise FastioError(
                f"Fast.io {method} {_short(path)}: HTTP {status}, not JSON: {resp.text[:120]!r}",
                status,
            ) from None
        try:
            return unwrap(body, status)
        except FastioError as exc:
            raise FastioError(
                f"Fast.io {method} {_short(path)}: HTTP {status}: {exc.message}", status, exc.code
            ) from None


def _short(path: str) -> str:
    return path if len(path) <= 120 else path[:117] + "..."
