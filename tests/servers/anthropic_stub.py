"""A minimal Anthropic Messages API stand-in on 127.0.0.1 (POST /v1/messages).

Checks the `x-api-key` and `anthropic-version` headers as the real API does, answers
with `content` blocks (text, or tool_use for `[[tool:NAME {json}]]`) and `usage`, and
shares faults and answers with the OpenAI stub.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.servers.openai_stub import TOOL_RX, Handler, Stub, answer, ntok


class AnthropicHandler(Handler):
    def authorized(self) -> bool:
        st = self.server.state
        if not self.headers.get("anthropic-version"):
            self.send_json(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                            "message": "anthropic-version header is required"}})
            return False
        if st.api_key and self.headers.get("x-api-key") != st.api_key:
            self.send_json(401, {"type": "error", "error": {"type": "authentication_error",
                                                            "message": "invalid x-api-key"}})
            return False
        return True

    def route(self, path: str, body: dict[str, Any]) -> None:
        if path != "/v1/messages":
            return self.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": "not found"}})
        if not isinstance(body.get("max_tokens"), int):
            return self.send_json(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                                   "message": "max_tokens: Field required"}})
        msgs = body.get("messages") or []
        user = next((str(m.get("content")) for m in reversed(msgs) if m.get("role") == "user"), "")
        system = body.get("system") or ""
        fault = self.pick_fault(user)
        self.record("messages", user, fault, 0)
        if fault:
            return self.apply_fault(fault)
        st = self.server.state
        if st.latency:
            time.sleep(st.latency)
        offered = {t.get("name") for t in body.get("tools") or []}
        m = TOOL_RX.search(user)
        if m and m.group(1) in offered:
            content = [{"type": "tool_use", "id": "toolu_1", "name": m.group(1), "input": json.loads(m.group(2) or "{}")}]
            text, stop = "", "tool_use"
        else:
            text = answer(system, user)
            content, stop = [{"type": "text", "text": text}], "end_turn"
        self.send_json(200, {"id": "msg_stub", "type": "message", "role": "assistant", "model": body.get("model"),
                             "content": content, "stop_reason": stop,
                             "usage": {"input_tokens": sum(ntok(str(x.get("content"))) for x in msgs) + ntok(system),
                                       "output_tokens": ntok(text)}})


def start(**kw: Any) -> Stub:
    return Stub(AnthropicHandler, **kw)
