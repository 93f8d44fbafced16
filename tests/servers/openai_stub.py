"""An OpenAI-compatible HTTP server on 127.0.0.1 that can misbehave on purpose.

Grown from ../shared/bench/latency_server.py. Real HTTP/1.1 with keep-alive, one
thread per connection. Paths follow the OpenAI API:

  POST /v1/chat/completions   chat completion (tool_calls when asked for)
  POST /v1/embeddings         deterministic bag-of-words vectors
  GET  /v1/models             one model
  GET  /stats                 counters; GET /log: one entry per request with its timestamp
  POST /stats/reset           zero the counters and the log
  POST /faults                {"kind": K, "count": N | "rate": R, "retry_after": S, "hang_s": S}

Faults (K): hang, 429 (with Retry-After), 500, malformed (200 + broken JSON), empty
(200 + no choices), drop (connection closed without a response). A request gets a
fault when its last user message holds `[[fault:K]]` (every time) or `[[fault:KxN]]`
(the first N times), or from the /faults setting (next N requests, or a random share).

What the model says: `[[reply:TEXT]]` in the user turn; else the system prompt's
`ANSWER: ...` lines; else the latency server's capitals/sums/echo. `[[tool:NAME {json}]]`
answers with a tool call when the request offers that tool. `[[refuse]]` answers with a
refusal (openai-openapi `ChatCompletionResponseMessage.refusal`, content null). An answer
longer than the request's `max_completion_tokens`/`max_tokens` is cut there with
`finish_reason: "length"`, as the API does.

Reasoning models (o1, o3, o4-mini, gpt-5…) answer as api.openai.com does today (`reject`):
400 for `max_tokens`, for `temperature`/`top_p` (see the bodies quoted there), and
`usage.completion_tokens_details.reasoning_tokens` counted inside `completion_tokens`.
`State.headers` are added to every chat answer (rate-limit headers, `x-should-retry`).
Every request's parameters (all but `messages`) are in the /log entry as `params`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CAPITALS = {
    "france": "Paris",
    "germany": "Berlin",
    "italy": "Rome",
    "spain": "Madrid",
    "japan": "Tokyo",
}
FAULT_RX = re.compile(r"\[\[fault:(hang|429|500|malformed|empty|drop)(?:x(\d+))?\]\]")
REASONING_RX = re.compile(r"^(?:openai/)?(?:o[134]|gpt-5)")
REASONING_TOKENS = 64
REFUSAL = "I'm sorry, but I can't help with that."
TOOL_RX = re.compile(r"\[\[tool:([\w.-]+)\s*(\{.*?\})?\]\]", re.S)
REPLY_RX = re.compile(r"\[\[reply:(.*?)\]\]", re.S)


def answer(system: str, user: str) -> str:
    m = REPLY_RX.search(user)
    if m:
        return m.group(1)
    lines = [ln.split("ANSWER:", 1)[1].strip() for ln in system.splitlines() if "ANSWER:" in ln]
    if lines:
        return " ".join(lines)
    m = re.search(r"capital of ([A-Za-z ]+?)[?.!]?$", user.strip(), re.I)
    if m and m.group(1).strip().lower() in CAPITALS:
        return f"The capital of {m.group(1).strip()} is {CAPITALS[m.group(1).strip().lower()]}."
    m = re.search(r"What is (\d+) plus (\d+)", user, re.I)
    if m:
        return str(int(m.group(1)) + int(m.group(2)))
    return f"Echo: {user.strip()}"


def ntok(s: str) -> int:
    return max(1, (len(s) + 3) // 4)


@dataclass
class State:
    latency: float = 0.0
    hang_s: float = 5.0
    retry_after: str = "1"
    fault_kind: str | None = None
    fault_count: int = 0
    fault_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: dict[str, int] = field(default_factory=dict)
    marker_hits: dict[str, int] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0
    api_key: str | None = None  # when set, requests must carry it
    headers: dict[str, str] = field(default_factory=dict)  # added to every chat answer
    #: models answered with today's strict rules though their names do not say so (a model
    #: released after agentci's table was written)
    strict_models: set[str] = field(default_factory=set)
    #: answer in prose whatever response_format asks (a compatible server without JSON mode)
    ignore_format: bool = False

    def bump(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()
            self.marker_hits.clear()
            self.log.clear()
            self.in_flight = self.peak_in_flight = 0
            self.fault_kind, self.fault_count, self.fault_rate = None, 0, 0.0


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    state: State


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, *a: Any) -> None:
        pass

    def send_json(self, code: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self.send_raw(code, json.dumps(obj).encode(), headers)

    def send_raw(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        st = self.server.state
        path = self.path.rstrip("/")
        if path == "/stats":
            with st.lock:
                self.send_json(
                    200,
                    {**st.counts, "in_flight": st.in_flight, "peak_in_flight": st.peak_in_flight},
                )
        elif path == "/log":
            with st.lock:
                self.send_json(200, list(st.log))
        elif path in ("/v1/models", "/models"):
            self.send_json(
                200, {"object": "list", "data": [{"id": "stub-model", "object": "model"}]}
            )
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    def read_body(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw or b"{}")

    def do_POST(self) -> None:
        st = self.server.state
        path = self.path.rstrip("/")
        try:
            body = self.read_body()
        except ValueError:
            return self.send_json(400, {"error": {"message": "bad json"}})
        if path == "/stats/reset":
            st.reset()
            return self.send_json(200, {"ok": True})
        if path == "/faults":
            with st.lock:
                st.fault_kind = body.get("kind")
                st.fault_count = int(body.get("count") or 0)
                st.fault_rate = float(body.get("rate") or 0.0)
                st.retry_after = str(body.get("retry_after", st.retry_after))
                st.hang_s = float(body.get("hang_s", st.hang_s))
            return self.send_json(200, {"ok": True})
        if not self.authorized():
            return
        self.route(path, body)

    def authorized(self) -> bool:
        st = self.server.state
        if st.api_key and self.headers.get("Authorization") != f"Bearer {st.api_key}":
            self.send_json(
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                    }
                },
            )
            return False
        return True

    def route(self, path: str, body: dict[str, Any]) -> None:
        if path in ("/v1/chat/completions", "/chat/completions"):
            self.chat(body)
        elif path in ("/v1/embeddings", "/embeddings"):
            self.embeddings(body)
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    # -- faults --------------------------------------------------------------------------

    def pick_fault(self, user: str) -> str | None:
        st = self.server.state
        with st.lock:
            m = FAULT_RX.search(user)
            if m:
                times = int(m.group(2)) if m.group(2) else None
                hits = st.marker_hits.get(user, 0)
                st.marker_hits[user] = hits + 1
                if times is None or hits < times:
                    return m.group(1)
            if st.fault_kind and st.fault_count > 0:
                st.fault_count -= 1
                return st.fault_kind
            if st.fault_kind and st.fault_rate and st.rng.random() < st.fault_rate:
                return st.fault_kind
        return None

    def apply_fault(self, kind: str) -> None:
        st = self.server.state
        if kind == "hang":
            time.sleep(st.hang_s)
            self.close_connection = True
        elif kind == "429":
            self.send_json(
                429,
                {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}},
                {"Retry-After": st.retry_after, **st.headers},
            )
        elif kind == "500":
            self.send_json(
                500,
                {"error": {"message": "The server had an error", "type": "server_error"}},
                st.headers,
            )
        elif kind == "malformed":
            self.send_raw(200, b'{"id": "chatcmpl-x", "choices": [')
        elif kind == "empty":
            self.send_json(
                200, {"id": "chatcmpl-x", "object": "chat.completion", "choices": [], "usage": {}}
            )
        elif kind == "drop":
            self.close_connection = True  # no response bytes at all

    def record(self, kind: str, user: str, fault: str | None, status: int) -> None:
        st = self.server.state
        with st.lock:
            st.bump(kind)
            if fault:
                st.bump("faults")
            st.log.append(
                {
                    "ts": time.time(),
                    "kind": kind,
                    "fault": fault,
                    "status": status,
                    "user": user[:200],
                    "params": getattr(self, "params", {}),
                }
            )

    # -- endpoints -------------------------------------------------------------------------

    def chat(self, req: dict[str, Any]) -> None:
        st = self.server.state
        self.params = {k: v for k, v in req.items() if k != "messages"}
        rejected = reject(req, st.strict_models)
        if rejected is not None:
            self.record("rejected", "", None, 400)
            return self.send_json(400, rejected, st.headers)
        msgs = req.get("messages") or []
        user = next((str(m.get("content")) for m in reversed(msgs) if m.get("role") == "user"), "")
        system = "\n".join(str(m.get("content")) for m in msgs if m.get("role") == "system")
        fault = self.pick_fault(user)
        with st.lock:
            st.in_flight += 1
            st.peak_in_flight = max(st.peak_in_flight, st.in_flight)
        try:
            self.record("completions", user, fault, 0)
            if fault:
                return self.apply_fault(fault)
            if st.latency:
                time.sleep(st.latency)
            if st.ignore_format:
                req = {k: v for k, v in req.items() if k != "response_format"}
            self.send_json(200, completion(req, system, user), st.headers)
        finally:
            with st.lock:
                st.in_flight -= 1

    def embeddings(self, req: dict[str, Any]) -> None:
        texts = req.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        self.record("embeddings", " | ".join(map(str, texts))[:200], None, 200)
        data = [
            {"object": "embedding", "index": i, "embedding": embed(str(t))}
            for i, t in enumerate(texts)
        ]
        self.send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": req.get("model"),
                "usage": {"prompt_tokens": sum(ntok(str(t)) for t in texts), "total_tokens": 0},
            },
        )


def shaped(text: str, fmt: Any) -> str:
    """The answer in the shape `response_format` asks for (openai-openapi
    `ResponseFormatJsonObject` / `ResponseFormatJsonSchema`): JSON, or an instance of the schema."""
    if not isinstance(fmt, dict) or fmt.get("type") not in ("json_object", "json_schema"):
        return text
    schema = (fmt.get("json_schema") or {}).get("schema") if fmt["type"] == "json_schema" else None
    return json.dumps(instance(schema, text) if isinstance(schema, dict) else {"answer": text})


def instance(schema: dict[str, Any], text: str) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: instance(v, text) for k, v in props.items() if isinstance(v, dict)}
    if kind == "array":
        items = schema.get("items")
        return [instance(items, text)] if isinstance(items, dict) else []
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    return text


def reject(
    req: dict[str, Any], strict: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """The 400 api.openai.com sends a reasoning model for a parameter it does not take.
    Bodies as the API returns them, quoted in public reports:
      max_tokens  (gpt-5, griptape-ai/ComfyUI-Griptape#312; o1, ITSpecialist111/ai_automation_suggester#38)
      temperature (gpt-5, owndev/Open-WebUI-Functions#98; Azure o4-mini, microsoft/vscode#253673)
      top_p       (o1-preview, aandrew-me/tgpt#333; o4-mini, lobehub/lobehub#7747)
    """
    model = str(req.get("model") or "")
    if not REASONING_RX.match(model) and model not in strict:
        return None
    if "max_tokens" in req:
        return _invalid(
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            "max_tokens",
            "unsupported_parameter",
        )
    if "temperature" in req and req["temperature"] != 1:
        return _invalid(
            f"Unsupported value: 'temperature' does not support {req['temperature']} with this model. "
            "Only the default (1) value is supported.",
            "temperature",
            "unsupported_value",
        )
    if "top_p" in req:
        return _invalid(
            "Unsupported parameter: 'top_p' is not supported with this model.",
            "top_p",
            "unsupported_parameter",
        )
    return None


def _invalid(message: str, param: str, code: str) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }


def embed(text: str, dims: int = 64) -> list[float]:
    vec = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        vec[sum(map(ord, word)) % dims] += 1.0
    norm = sum(v * v for v in vec) ** 0.5 or 1.0
    return [v / norm for v in vec]


def completion(req: dict[str, Any], system: str, user: str) -> dict[str, Any]:
    offered = {t.get("function", {}).get("name") for t in req.get("tools") or []}
    m = TOOL_RX.search(user)
    message: dict[str, Any]
    if m and m.group(1) in offered:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": m.group(1), "arguments": m.group(2) or "{}"},
                }
            ],
        }
        text = ""
        finish = "tool_calls"
    elif "[[refuse]]" in user:
        text = ""
        message = {"role": "assistant", "content": None, "refusal": REFUSAL}
        finish = "stop"
    else:
        text = shaped(answer(system, user), req.get("response_format"))
        finish = "stop"
        budget = req.get("max_completion_tokens") or req.get("max_tokens")
        reasoning = REASONING_TOKENS if REASONING_RX.match(str(req.get("model") or "")) else 0
        if isinstance(budget, int) and ntok(text) + reasoning > budget:
            text = text[: max(0, budget - reasoning) * 4]
            finish = "length"
        message = {"role": "assistant", "content": text, "refusal": None}
    reasoning = REASONING_TOKENS if REASONING_RX.match(str(req.get("model") or "")) else 0
    ptoks = sum(ntok(str(x.get("content", ""))) + 4 for x in req.get("messages") or []) + 3
    out = ntok(text) + reasoning  # completion_tokens include the reasoning tokens
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": req.get("model", "stub-model"),
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        "usage": {
            "prompt_tokens": ptoks,
            "completion_tokens": out,
            "total_tokens": ptoks + out,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        },
    }


class Stub:
    """A running server: `url` is the OpenAI base URL (…/v1); `root` the server root."""

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler] = Handler,
        *,
        latency_ms: float = 0,
        api_key: str | None = None,
        port: int = 0,
    ) -> None:
        self.server = Server(("127.0.0.1", port), handler)
        self.server.state = State(latency=latency_ms / 1000, api_key=api_key)
        self.root = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.root + "/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def state(self) -> State:
        return self.server.state

    def stats(self) -> dict[str, Any]:
        with self.state.lock:
            return dict(self.state.counts)

    def log(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.log)

    def faults(
        self,
        kind: str | None,
        *,
        count: int = 0,
        rate: float = 0.0,
        retry_after: str | None = None,
        hang_s: float | None = None,
    ) -> None:
        st = self.state
        with st.lock:
            st.fault_kind, st.fault_count, st.fault_rate = kind, count, rate
            if retry_after is not None:
                st.retry_after = retry_after
            if hang_s is not None:
                st.hang_s = hang_s

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--port", type=int, default=8788)
    ap.add_argument("--latency-ms", type=float, default=0)
    a = ap.parse_args()
    stub = Stub(latency_ms=a.latency_ms, port=a.port)
    print(f"listening on {stub.url}", flush=True)
    try:
        stub.thread.join()
    except KeyboardInterrupt:
        stub.stop()


if __name__ == "__main__":
    main()
