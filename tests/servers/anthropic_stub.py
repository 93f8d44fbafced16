"""A minimal Anthropic Messages API stand-in on 127.0.0.1 (POST /v1/messages).

Follows the official Messages API reference (docs.anthropic.com/en/api/messages) and the
error bodies the service sends, as quoted below.

Checks the `x-api-key` and `anthropic-version` headers as the real API does, answers
with `content` blocks (text, or tool_use for `[[tool:NAME {json}]]`) and `usage`, and
shares faults and answers with the OpenAI stub. As the API does today:
- models from Claude Sonnet 4.5 / Haiku 4.5 / Opus 4.1 on refuse `temperature` with `top_p`;
  the 400 body is the one quoted in BerriAI/litellm#15097 and router-for-me/CLIProxyAPI#193
  (claude-sonnet-4-5-20250929);
- `tool_choice: {"type": "tool", "name": N}` forces a `tool_use` of N (Messages API docs,
  "Forcing tool use"); the input is the judge stub's verdict for a judge prompt;
- an answer longer than `max_tokens` is cut with `stop_reason: "max_tokens"`; `[[refuse]]`
  answers `stop_reason: "refusal"` (Claude 4 models' safety stop) with no content.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from tests.servers.judge_stub import verdict
from tests.servers.openai_stub import TOOL_RX, Handler, Stub, answer, ntok

ONE_SAMPLER_RX = re.compile(r"claude-(?:sonnet|haiku|opus)-4-[5-9]|claude-opus-4-1")


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_stub"}


class AnthropicHandler(Handler):
    def authorized(self) -> bool:
        st = self.server.state
        if not self.headers.get("anthropic-version"):
            self.send_json(
                400, _error("invalid_request_error", "anthropic-version header is required")
            )
            return False
        if st.api_key and self.headers.get("x-api-key") != st.api_key:
            self.send_json(401, _error("authentication_error", "invalid x-api-key"))
            return False
        return True

    def route(self, path: str, body: dict[str, Any]) -> None:
        if path != "/v1/messages":
            return self.send_json(404, _error("not_found_error", "not found"))
        self.params = {k: v for k, v in body.items() if k != "messages"}
        if not isinstance(body.get("max_tokens"), int):
            return self.send_json(
                400, _error("invalid_request_error", "max_tokens: Field required")
            )
        st = self.server.state
        model = str(body.get("model"))
        if (
            "temperature" in body
            and "top_p" in body
            and (ONE_SAMPLER_RX.search(model) or model in st.strict_models)
        ):
            self.record("rejected", "", None, 400)
            return self.send_json(
                400,
                _error(
                    "invalid_request_error",
                    "`temperature` and `top_p` cannot both be "
                    "specified for this model. Please use only one.",
                ),
                st.headers,
            )
        msgs = body.get("messages") or []
        user = next((str(m.get("content")) for m in reversed(msgs) if m.get("role") == "user"), "")
        system = body.get("system") or ""
        fault = self.pick_fault(user)
        self.record("messages", user, fault, 0)
        if fault:
            return self.apply_fault(fault)
        if st.latency:
            time.sleep(st.latency)
        offered = {t.get("name") for t in body.get("tools") or []}
        forced = body.get("tool_choice") if isinstance(body.get("tool_choice"), dict) else {}
        m = TOOL_RX.search(user)
        content: list[dict[str, Any]]
        if forced.get("type") == "tool" and forced.get("name") in offered:
            content = [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": forced["name"],
                    "input": verdict(user) or {},
                }
            ]
            text, stop = "", "tool_use"
        elif m and m.group(1) in offered:
            content = [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": m.group(1),
                    "input": json.loads(m.group(2) or "{}"),
                }
            ]
            text, stop = "", "tool_use"
        elif "[[refuse]]" in user:
            content, text, stop = [], "", "refusal"
        else:
            text, stop = answer(system, user), "end_turn"
            if ntok(text) > body["max_tokens"]:
                text, stop = text[: body["max_tokens"] * 4], "max_tokens"
            content = [{"type": "text", "text": text}]
        self.send_json(
            200,
            {
                "id": "msg_stub",
                "type": "message",
                "role": "assistant",
                "model": body.get("model"),
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": sum(ntok(str(x.get("content"))) for x in msgs) + ntok(system),
                    "cache_read_input_tokens": 0,
                    "cache_creation_input_tokens": 0,
                    "output_tokens": ntok(text),
                },
            },
            st.headers,
        )


def start(**kw: Any) -> Stub:
    return Stub(AnthropicHandler, **kw)
