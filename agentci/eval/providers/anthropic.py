"""Anthropic Messages API. Honours ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL, like the SDK).

Newer models take `temperature` or `top_p`, not both (families.py drops `top_p` before the
call, and a 400 saying so teaches the provider the same for any model the rule misses);
`max_tokens` is required, so a per-model default applies; `stop_reason` is kept (as
finish_reason, `max_tokens` → `length`) so a cut answer shows in the results.
"""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from agentci.eval.providers import families
from agentci.eval.providers.base import (
    ProviderConfig,
    ProviderError,
    Request,
    Response,
    ToolCall,
)
from agentci.eval.providers.http import HTTPProvider, parse_arguments

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
#: The tool a structured (json_schema) request forces the model to call.
ANSWER_TOOL = "answer"
#: The 400 message of models that take only one sampler (seen from Claude Sonnet 4.5 on)
_ONE_SAMPLER = "cannot both be specified"
#: Anthropic stop_reason → agentci's finish_reason (OpenAI's words)
_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "refusal",
    "model_context_window_exceeded": "length",
}


def _budget(value: object, model: str) -> int:
    """agent.yaml's max_tokens, else a default the model accepts (the API requires one)."""
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
        else families.claude_max_tokens(model)
    )


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

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self._one_sampler: set[str] = set()  # models that answered "use only one" at run time

    def body(self, request: Request) -> dict[str, Any]:
        params, _ = families.anthropic_params(request.model, request.params)
        if request.model in self._one_sampler and "temperature" in params:
            params.pop("top_p", None)
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": _budget(params.get("max_tokens"), request.model),
            "messages": [
                {"role": m.role, "content": m.content}
                for m in request.messages
                if m.role != "system"
            ],
        }
        if system:
            body["system"] = system
        for key in ("temperature", "top_p"):
            if key in params:
                body[key] = params[key]
        tools = [mcp_to_anthropic(t) for t in request.tools]
        schema = params.get("json_schema")
        if isinstance(schema, dict):
            # Structured answers the portable way: one tool whose input is the answer, forced
            # with tool_choice (Messages API "tool_choice": {"type": "tool", "name": ...}).
            tools.append(
                {
                    "name": ANSWER_TOOL,
                    "description": "Give the answer in this structure.",
                    "input_schema": schema,
                }
            )
            body["tool_choice"] = {"type": "tool", "name": ANSWER_TOOL}
        if tools:
            body["tools"] = tools
        return body

    async def acomplete(self, request: Request) -> Response:
        key = self.api_key()
        headers = {"anthropic-version": API_VERSION, **({"x-api-key": key} if key else {})}
        started = time.perf_counter()
        url = f"{self.base_url}/v1/messages"
        body = self.body(request)
        try:
            data = await self.apost(url, headers, body)
        except ProviderError as exc:
            if not (
                exc.status == 400
                and _ONE_SAMPLER in str(exc)
                and "top_p" in body
                and request.model not in self._one_sampler
            ):
                raise
            self._one_sampler.add(request.model)
            self.note(
                f"anthropic: model {request.model!r} takes temperature or top_p, not both; top_p left out"
            )
            data = await self.apost(url, headers, self.body(request))
        latency = (time.perf_counter() - started) * 1000
        blocks = data.get("content") if isinstance(data, dict) else None
        if not isinstance(blocks, list):
            raise ProviderError(f"{self.name}: the response has no content list", retryable=True)
        text = "".join(
            b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"
        )
        uses = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"]
        answer = (
            next((b for b in uses if b.get("name") == ANSWER_TOOL), None)
            if "tool_choice" in body
            else None
        )
        if answer is not None:
            text = json.dumps(answer.get("input"), ensure_ascii=False)
            uses = [b for b in uses if b is not answer]
        calls = tuple(
            ToolCall(str(b.get("name", "")), parse_arguments(b.get("input"))) for b in uses
        )
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        cached = sum(
            v
            for k in ("cache_read_input_tokens", "cache_creation_input_tokens")
            if isinstance(v := usage.get(k), int)
        )
        fresh = usage.get("input_tokens")
        stop = data.get("stop_reason")
        return Response(
            text=text,
            tool_calls=calls,
            # Anthropic counts cache reads and writes apart from input_tokens; agentci's
            # input_tokens is the whole prompt, cached_input_tokens the part read from cache.
            input_tokens=fresh + cached if isinstance(fresh, int) else None,
            output_tokens=usage.get("output_tokens"),
            latency_ms=round(latency, 1),
            finish_reason=_STOP.get(str(stop), str(stop)) if stop else None,
            cached_input_tokens=usage.get("cache_read_input_tokens")
            if isinstance(usage.get("cache_read_input_tokens"), int)
            else None,
        )
