"""OpenAI-compatible chat completions: OpenAI, Azure, GitHub Models, Ollama, vLLM, llama.cpp.

Honours OPENAI_BASE_URL and OPENAI_API_KEY as the official SDK does; `model.base_url`
and `model.api_key_env` in agent.yaml override them per agent.
"""

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

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_PARAMS = ("temperature", "max_tokens", "top_p", "seed")


def mcp_to_openai(tool: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.get("name", ""),
            "description": tool.get("description", ""),
            "parameters": tool.get("inputSchema") or {"type": "object", "properties": {}},
        },
    }


class OpenAIProvider(HTTPProvider):
    name: ClassVar[str] = "openai"
    key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    supports_tools: ClassVar[bool] = True
    base_url_env: ClassVar[str] = "OPENAI_BASE_URL"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def _headers(self) -> dict[str, str]:
        key = self.api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def complete(self, request: Request) -> Response:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }
        body.update({k: v for k, v in request.params.items() if k in _PARAMS})
        if request.tools:
            body["tools"] = [mcp_to_openai(t) for t in request.tools]
        started = time.perf_counter()
        data = post_json(self._http(), f"{self.base_url}/chat/completions", self._headers(), body, self.name)
        latency = (time.perf_counter() - started) * 1000
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ProviderError(f"{self.name}: the response has no choices", retryable=True)
        message = choices[0].get("message") or {}
        text = message.get("content") or ""
        if isinstance(text, list):  # content parts
            text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
        calls = tuple(
            ToolCall(str(fn.get("name", "")), parse_arguments(fn.get("arguments")))
            for call in message.get("tool_calls") or []
            if isinstance(call, dict) and isinstance(fn := call.get("function"), dict)
        )
        usage = data.get("usage") or {}
        return Response(
            text=str(text),
            tool_calls=calls,
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
            latency_ms=round(latency, 1),
        )

    def embed(self, texts: list[str], model: str | None = None) -> list[list[float]]:
        body = {"model": model or "text-embedding-3-small", "input": texts}
        data = post_json(self._http(), f"{self.base_url}/embeddings", self._headers(), body, self.name)
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(rows, list) or len(rows) != len(texts):
            raise ProviderError(f"{self.name}: the embeddings response has {len(rows or [])} rows for {len(texts)} texts")
        rows = sorted(rows, key=lambda r: r.get("index", 0))
        return [list(map(float, r.get("embedding") or [])) for r in rows]

