"""Anthropic Messages API. Honours ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL, like the SDK)."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from agentci.eval.providers.base import (
    ProviderError,
    Request,
    Response,
    ToolCall,
)
from agentci.eval.providers.http import HTTPProvider, parse_arguments, post_json

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


class AnthropicProvider(HTTPProvider):
    name: ClassVar[str] = "anthropic"
    key_env: ClassVar[str | None] = "ANTHROPIC_API_KEY"
    supports_tools: ClassVar[bool] = True
    base_url_env: ClassVar[str] = "ANTHROPIC_BASE_URL"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

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
        key = self.api_key()
        headers = {"anthropic-version": API_VERSION, **({"x-api-key": key} if key else {})}
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

