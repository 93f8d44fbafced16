"""The answer cache: one small JSON file per request key, written atomically.

Why plain files and not `diskcache`: diskcache is not a dependency of agentci (it
would be one more wheel to install in every CI job), and its SQLite file is one
opaque blob that actions/cache must save whole. Files written to a temp name and
`os.replace`d into place are atomic on POSIX and Windows, so concurrent writers
(threads, or matrix shards sharing a restored cache) never leave a torn entry:
the last writer wins with the same content, and readers see old-or-new. Entries
are immutable (the key hashes everything that decides the answer), so there is
no invalidation, and a corrupt or foreign file simply reads as a miss.
Only successful answers are stored; errors never are.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from agentci.eval.providers.base import Response, ToolCall

ENV = "AGENTCI_CACHE_DIR"
VERSION = 1
#: Response fields kept as they are (absent in older entries: None).
_EXTRA = ("finish_reason", "refusal", "reasoning_tokens", "cached_input_tokens")


def default_dir(repo_root: Path) -> Path:
    env = os.environ.get(ENV)
    return Path(env).expanduser() if env else repo_root / ".agentci" / "cache"


class Cache:
    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self._made: set[str] = set()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> Response | None:
        if not self.enabled:
            return None
        try:
            data = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("v") != VERSION or not isinstance(data.get("text"), str):
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

    def put(self, key: str, response: Response) -> None:
        if not self.enabled:
            return
        entry = {
            "v": VERSION,
            "text": response.text,
            "tool_calls": [asdict(c) for c in response.tool_calls],
            "input_tokens": response.input_tokens,
            "output_tokens": response.output_tokens,
            "latency_ms": response.latency_ms,
            **{k: getattr(response, k) for k in _EXTRA},
        }
        path = self._path(key)
        shard = key[:2]
        try:
            if shard not in self._made:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(shard)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(json.dumps(entry, ensure_ascii=False, default=str).encode("utf-8"))
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            # A cache that cannot be written (read-only dir, full disk) must not fail an eval.
            return

