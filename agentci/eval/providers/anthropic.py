"""Anthropic Messages API. Honours ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL, like the SDK)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, ClassVar

from agentci.eval.providers.base import (
    Provider,
    ProviderConfig,
    ProviderError,
    Request,
    Response,
    ToolCall,
)
from agentci.eval.providers.http import make_client, parse_arguments, post_json

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
#: The Messages API requires max_tokens; agent.yaml may leave it out.
DEFAULT_MAX_TOKENS = 1024


def mcp_to_anthropic(tool: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": tool.get("name", ""),
        "description": tool.get("description", ""),
        "input_schema": tool.get("inputSchema") or {"type": "object", "properties": {}},
    }


class AnthropicProvider(Provider):
    name: ClassVar[str] = "anthropic"
    key_env: ClassVar[str | None] = "ANTHROPIC_API_KEY"
    supports_tools: ClassVar[bool] = True

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        base = config.base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = base.rstrip("/")
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        return f"{self.name}:{self.base_url}"

    def _http(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = make_client(self.config)
            return self._client

    def complete(self, request: Request) -> Response:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": int(request.params.get("max_tokens") or DEFAULT_MAX_TOKENS),
            "messages": [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"],
        }
        if system:
            body["system"] = system
        for key in ("temperature", "top_p"):
            if key in request.params:
                body[key] = request.params[key]
        if request.tools:
            body["tools"] = [mcp_to_anthropic(t) for t in request.tools]
        headers = {"x-api-key": self.api_key(), "anthropic-version": API_VERSION}
        started = time.perf_counter()
        url = f"{self.base_url}/v1/messages"
        data = post_json(self._http(), url, headers, body, self.name)
        latency = (time.perf_counter() - started) * 1000
        blocks = data.get("content") if isinstance(data, dict) else None
        if not isinstance(blocks, list):
            raise ProviderError(f"{self.name}: the response has no content list", retryable=True)
        text = "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text")
        calls = tuple(
            ToolCall(str(b.get("name", "")), parse_arguments(b.get("input")))
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "tool_use"
        )
        usage = data.get("usage") or {}
        return Response(
            text=text,
            tool_calls=calls,
            input_tokens=usage.get("input_tokens"),
            output_tokens=usage.get("output_tokens"),
            latency_ms=round(latency, 1),
        )

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
