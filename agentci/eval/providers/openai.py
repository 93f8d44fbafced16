"""OpenAI-compatible chat completions: OpenAI, Azure v1, Ollama, vLLM, llama.cpp (and the
base of the `github` and `azure` providers).

Honours OPENAI_BASE_URL and OPENAI_API_KEY as the official SDK does; `model.base_url`
and `model.api_key_env` in agent.yaml override them per agent.

Requests follow openai/openai-openapi `CreateChatCompletionRequest`: `max_completion_tokens`
where the endpoint knows it (see families.py), `response_format: json_schema` for
schema-constrained answers (the judge). When the API still refuses a parameter with a 400
`unsupported_parameter` / `unsupported_value` naming it in `error.param`, the provider
drops (or renames) that parameter for that model once, notes it for the report, and
sends the request again, so one wrong guess costs one extra call, not every case.
"""

from __future__ import annotations

import re
import threading
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

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_PARAMS = ("temperature", "max_tokens", "top_p", "seed")
#: codes the API uses for a parameter the model does not take (openai-openapi `Error.code`)
_REJECTED = ("unsupported_parameter", "unsupported_value")
#: OpenAI-compatible servers that answer in prose only: "Unsupported parameter: 'max_tokens' ..."
_REJECTED_TEXT = re.compile(r"Unsupported (?:parameter|value): '([\w.]+)'")
#: hosts whose chat endpoint knows `max_completion_tokens` for every model
_COMPLETION_TOKENS_HOSTS = ("api.openai.com", "models.github.ai", "models.inference.ai.azure.com")


def mcp_to_openai(tool: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.get("name", ""),
            "description": tool.get("description", ""),
            "parameters": tool.get("inputSchema") or {"type": "object", "properties": {}},
        },
    }


def response_format(
    schema: dict[str, Any], name: Any = None, strict: bool = False
) -> dict[str, Any]:
    """openai-openapi `ResponseFormatJsonSchema`. Strict only when asked (a prompt file's
    jsonSchema says so): strict mode needs every property required and additionalProperties
    false, which the judge's pydantic schemas lack."""
    name = (
        re.sub(r"[^A-Za-z0-9_-]", "_", str(name or schema.get("title") or "answer"))[:64]
        or "answer"
    )
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": schema, "strict": strict},
    }


def rejected_param(exc: ProviderError) -> str | None:
    """The parameter a 400 refused, from `error.param`/`error.code` or the message text."""
    if exc.status != 400:
        return None
    if exc.param and (exc.code in _REJECTED or exc.code is None):
        return exc.param
    m = _REJECTED_TEXT.search(str(exc))
    return m.group(1) if m else None


class OpenAIProvider(HTTPProvider):
    name: ClassVar[str] = "openai"
    key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    supports_tools: ClassVar[bool] = True
    base_url_env: ClassVar[str] = "OPENAI_BASE_URL"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        # model -> parameters the API refused for it (None: rename max_tokens instead)
        self._refused: dict[str, set[str]] = {}
        self._refused_lock = threading.Lock()
        self._header: tuple[str | None, dict[str, str]] = (None, {})

    def _headers(self) -> dict[str, str]:
        key = self.api_key()  # read (and its trust checked) per request
        made = self._header  # one dict per key, not per request (callers copy it); one
        if made[0] != key:  # tuple, so a thread never pairs one key with another's header
            made = self._header = (key, {"Authorization": f"Bearer {key}"} if key else {})
        return made[1]

    def _chat_url(self, model: str) -> str:
        return f"{self.base_url}/chat/completions"

    def _embed_url(self, model: str) -> str:
        return f"{self.base_url}/embeddings"

    def _completion_tokens(self) -> bool:
        return self._host in _COMPLETION_TOKENS_HOSTS or "/openai/v1" in self.base_url

    def body(self, request: Request) -> dict[str, Any]:
        params = {k: v for k, v in request.params.items() if k in _PARAMS}
        params, _ = families.openai_params(
            request.model, params, completion_tokens=self._completion_tokens()
        )
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            **params,
        }
        if isinstance(request.params.get("json_schema"), dict):
            body["response_format"] = response_format(
                request.params["json_schema"],
                request.params.get("json_schema_name"),
                request.params.get("json_schema_strict") is True,
            )
        elif request.params.get("json_object"):
            body["response_format"] = {"type": "json_object"}
        if request.tools:
            body["tools"] = [mcp_to_openai(t) for t in request.tools]
        with self._refused_lock:
            refused = set(self._refused.get(request.model, ()))
        for key in refused:
            if key == "max_tokens" and "max_tokens" in body:
                body["max_completion_tokens"] = body.pop("max_tokens")
            elif (
                key == "max_completion_tokens" and key in body
            ):  # a server that knows only the old name
                body["max_tokens"] = body.pop(key)
            else:
                body.pop(key, None)
        return body

    async def acomplete(self, request: Request) -> Response:
        started = time.perf_counter()
        while True:  # ends: each parameter is refused at most once per model
            body = self.body(request)
            try:
                data = await self.apost(self._chat_url(request.model), self._headers(), body)
                break
            except ProviderError as exc:
                param = rejected_param(exc)
                if (
                    param is None
                    or param not in body
                    or not self._refuse(request.model, param, exc)
                ):
                    raise
        latency = (time.perf_counter() - started) * 1000
        return self.parse(data, latency)

    def _refuse(self, model: str, param: str, exc: ProviderError) -> bool:
        """Remember that `model` refuses `param`; False when that was already known (no loop)."""
        with self._refused_lock:
            seen = self._refused.setdefault(model, set())
            if param in seen:
                return False
            seen.add(param)
        action = {
            "max_tokens": "sent as max_completion_tokens",
            "max_completion_tokens": "sent as max_tokens",
        }.get(param, "left out")
        self.note(
            f"{self.name}: model {model!r} refused `{param}` ({exc.code or 'HTTP 400'}); {action} from then on"
        )
        return True

    def parse(self, data: Any, latency: float) -> Response:
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
        usage = _dict(data.get("usage"))
        details = _dict(usage.get("completion_tokens_details"))
        prompt_details = _dict(usage.get("prompt_tokens_details"))
        refusal = message.get("refusal") if isinstance(message.get("refusal"), str) else None
        finish = choices[0].get("finish_reason")
        return Response(
            text=str(text),
            tool_calls=calls,
            input_tokens=_int(usage.get("prompt_tokens")),
            output_tokens=_int(usage.get("completion_tokens")),
            latency_ms=round(latency, 1),
            finish_reason="refusal" if refusal and not text else (str(finish) if finish else None),
            refusal=refusal,
            reasoning_tokens=_int(details.get("reasoning_tokens")),
            cached_input_tokens=_int(prompt_details.get("cached_tokens")),
        )

    async def aembed(self, texts: list[str], model: str | None = None) -> list[list[float]]:
        model = model or "text-embedding-3-small"
        data = await self.apost(
            self._embed_url(model), self._headers(), {"model": model, "input": texts}
        )
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(rows, list) or len(rows) != len(texts):
            raise ProviderError(
                f"{self.name}: the embeddings response has {len(rows or [])} rows for {len(texts)} texts"
            )
        rows = sorted(rows, key=lambda r: r.get("index", 0))
        return [list(map(float, r.get("embedding") or [])) for r in rows]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
