"""The answer cache: one entry per request key, in agentci's SQLite cache (`agentci.cachedb`).

The runner's whole interface: `Cache(root, enabled=)`, `get(key)`, `put(key, response)`,
`forget(key)` (and `close()`). Keys are the request's content hash
(`Request.cache_key(provider.id)`), so entries are immutable and never invalidated.
Only successful answers are stored; errors and empty answers never are, and the judge
`forget`s a verdict it could not parse. An entry that does not decode reads as a miss.
Where the file lives and why a tracked one is never read: `agentci.cachedb`.
"""

from __future__ import annotations

import json
from pathlib import Path

from agentci.cachedb import ENV, Store, default_dir
from agentci.eval.providers.base import Response, ToolCall

__all__ = ["ENV", "VERSION", "Cache", "default_dir"]

VERSION = 1
KIND = "answer"
#: Response fields kept as they are (absent in older entries: None).
_EXTRA = ("finish_reason", "refusal", "reasoning_tokens", "cached_input_tokens")


class Cache:
    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self._store = Store(self.root, enabled=enabled)

    def get(self, key: str) -> Response | None:
        raw = self._store.get(KIND, key)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if (
            not isinstance(data, dict)
            or data.get("v") != VERSION
            or not isinstance(data.get("text"), str)
        ):
            return None
        return Response(
            text=data["text"],
            tool_calls=tuple(
                ToolCall(str(c.get("name", "")), c.get("arguments") or {})
                for c in data.get("tool_calls") or []
                if isinstance(c, dict)
            ),
            input_tokens=data.get("input_tokens"),
            output_tokens=data.get("output_tokens"),
            latency_ms=float(data.get("latency_ms") or 0.0),
            cached=True,
            **{k: data.get(k) for k in _EXTRA},
        )

    def forget(self, key: str) -> None:
        self._store.delete(KIND, key)

    def put(self, key: str, response: Response) -> None:
        if not self.enabled:
            return  # --no-cache: nothing to encode
        if not response.text.strip() and not response.tool_calls:
            return  # an empty answer is a failure to replay, not an answer
        entry = {
            "v": VERSION,
            "text": response.text,
            "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in response.tool_calls],
            "input_tokens": response.input_tokens,
            "output_tokens": response.output_tokens,
            "latency_ms": response.latency_ms,
            **{k: getattr(response, k) for k in _EXTRA},
        }
        self._store.put(
            KIND, key, json.dumps(entry, ensure_ascii=False, default=str).encode("utf-8")
        )

    def close(self) -> None:
        self._store.close()
