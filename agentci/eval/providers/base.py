"""The provider interface: one method to implement, `complete`. Everything else lives here.

A provider turns a `Request` (system prompt + user turn + params + tool definitions)
into a `Response`. The runner does retries, limits and caching around it, so a provider
only speaks its API. Plugins implement the synchronous, thread-safe `complete`; the
runner (an asyncio engine) calls it in a worker thread. The built-in HTTP providers
implement `acomplete` instead and are awaited on the engine's loop, no thread per
request. Third-party providers register under the entry-point group `agentci.providers`
(see agentci.eval.providers.registry).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agentci.errors import AgentciError


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True)
class Request:
    model: str
    messages: tuple[Message, ...]
    params: dict[str, Any] = field(default_factory=dict)  # temperature, max_tokens, top_p, seed
    tools: tuple[dict[str, Any], ...] = ()  # MCP tool definitions (name, description, inputSchema)

    def cache_key(self, provider_id: str) -> str:
        """Everything that decides an answer, hashed."""
        blob = _KEY_JSON.encode(
            {
                "provider": provider_id,
                "model": self.model,
                "messages": [[m.role, m.content] for m in self.messages],
                "params": self.params,
                "tools": list(self.tools),
            }
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


#: `json.dumps(..., sort_keys=True, ensure_ascii=False, default=str)` made once: the same
#: text (so the same keys), without building an encoder for every request (a third of a
#: key's cost)
_KEY_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Response:
    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float = 0.0
    cached: bool = False
    #: why the model stopped, normalised: stop | length | tool_calls | content_filter | refusal
    #: (OpenAI finish_reason; Anthropic stop_reason end_turn→stop, max_tokens→length, tool_use→tool_calls)
    finish_reason: str | None = None
    refusal: str | None = None  # OpenAI `message.refusal`: the model declined, content is empty
    reasoning_tokens: int | None = None  # part of output_tokens (usage.completion_tokens_details)
    cached_input_tokens: int | None = None  # part of input_tokens billed at the cached rate

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


def host_of(url: str) -> str:
    """`https://user@Host:443/path` → `host`."""
    return url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1].rsplit(":", 1)[0].lower()


class ProviderError(Exception):
    """A failed call. `retryable` (429, 5xx, timeouts, dropped connections) lets the runner retry."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        # From the API's error object (OpenAI: error.param / error.code; Anthropic: error.type),
        # so a provider can adapt to a rejected parameter instead of failing every case.
        self.status = status
        self.param = param
        self.code = code


class MissingKey(AgentciError):
    """The provider needs a key that is not in the environment."""


class RefusedCredential(AgentciError):
    """Trusted configuration does not name this endpoint for this key (agentci.trust)."""


@dataclass(frozen=True)
class ProviderConfig:
    """How to reach a provider: from the agent's `model:` block or agentci.yaml's judge."""

    provider: str
    base_url: str | None = None
    api_key_env: str | None = None
    timeout: float = 60.0
    options: dict[str, Any] = field(default_factory=dict)
    #: set by the run's trust policy: why no key may be sent to this endpoint
    refused: str | None = None
    #: an untrusted loopback endpoint: called, but without any credential
    keyless: bool = False


class Provider:
    #: registry name, e.g. "openai"
    name: ClassVar[str] = ""
    #: env var holding the key; None when the provider needs no key
    key_env: ClassVar[str | None] = None
    #: whether tool definitions are passed to the model
    supports_tools: ClassVar[bool] = False
    #: hosts the default key (`key_env`) may be sent to; empty: wherever the config points
    key_hosts: ClassVar[tuple[str, ...]] = ()
    #: concurrent requests when agentci.yaml's `eval.limits` names none for this provider
    default_concurrency: ClassVar[int | None] = None

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    @property
    def id(self) -> str:
        """Identity for cache keys: the provider and where it points (never the key)."""
        return f"{self.name}:{self.config.base_url or ''}"

    def endpoint_host(self) -> str:
        """The host requests go to ('' when not an HTTP provider)."""
        return host_of(self.config.base_url or "")

    def api_key(self) -> str:
        """The one place a provider reads its key; `agentci.trust` decides whether it may.
        The trust decision is made once per provider (its config is fixed); the variable
        is read on every call."""
        if self.config.keyless:
            return ""
        env = self.config.api_key_env or self.key_env
        if env is None:
            return ""
        refusal = self.__dict__.get("_refusal")
        if refusal is None:
            from agentci import trust

            refusal = self.__dict__["_refusal"] = (
                self.config.refused
                or trust.Policy().refusal(
                    trust.Endpoint.of(self.name, self.config.base_url, self.config.api_key_env),
                    default_key_env=self.key_env,
                )
                or ""
            )
        if refusal:
            raise RefusedCredential(refusal, hint="see SECURITY.md, 'Where credentials may go'")
        if self.key_hosts and env == self.key_env and self.endpoint_host() not in self.key_hosts:
            # Not MissingKey: refused, so the agent is "not evaluated" (neutral), never a quiet skip.
            raise RefusedCredential(
                f"the {self.name} provider sends {env} only to {', '.join(self.key_hosts)}, "
                f"not to {self.endpoint_host() or 'an unnamed host'}",
                hint="remove model.base_url, or name another key variable with model.api_key_env",
            )
        value = os.environ.get(env, "")
        if value and self.__dict__.get("_learnt") != value:
            from agentci import redact

            redact.learn_env(
                [env]
            )  # a key named only here (--provider, judge config) is redacted too
            self.__dict__["_learnt"] = value
        if not value:
            raise MissingKey(
                f"the {self.name} provider needs an API key: {env} is not set",
                hint=f"export {env}=... (in Actions: env: {env}: ${{{{ secrets.{env} }}}}), or run with --provider local",
            )
        return value

    def complete(self, request: Request) -> Response:  # the one method to implement
        raise NotImplementedError

    async def acomplete(self, request: Request) -> Response:
        """`complete` for the asyncio engine. The default runs `complete` in the loop's
        executor (a plugin, the embedded model); HTTP providers override it."""
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(None, self.complete, request)

    def awaitable(self) -> bool:
        """Whether `acomplete` is this class's own answer (awaited on the loop), not a
        subclass's override of `complete` that `acomplete` would bypass (run in a thread)."""
        return _awaitable(type(self))

    def pace(self) -> float:
        """Seconds to wait before the next request, from what the service said about its limits."""
        return 0.0

    def notes(self) -> list[str]:
        """What the provider changed on its own during the run (an adapted parameter), for reports."""
        return []

    def embed(self, texts: list[str], model: str | None = None) -> list[list[float]]:
        """Embeddings for `similar`; providers without an embedding endpoint raise ProviderError."""
        raise ProviderError(f"the {self.name} provider has no embedding endpoint")

    async def aclose(self) -> None:
        """Release what the provider holds on the running event loop (its HTTP client)."""

    def close(self) -> None:
        pass


#: `Provider.awaitable` per class: decided by the class's methods, asked per request
_AWAITABLE: dict[type, bool] = {}


def _awaitable(cls: type[Provider]) -> bool:
    known = _AWAITABLE.get(cls)
    if known is None:
        owner = {n: next(k for k in cls.__mro__ if n in vars(k)) for n in ("complete", "acomplete")}
        known = _AWAITABLE[cls] = owner["acomplete"] is not Provider and issubclass(
            owner["acomplete"], owner["complete"]
        )
    return known
