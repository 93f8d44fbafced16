"""The answer cache: one small JSON file per request key, written atomically.

Why plain files and not `diskcache`: diskcache is not a dependency of agentci (it
would be one more wheel to install in every CI job), and its SQLite file is one
opaque blob that actions/cache must save whole. Files written to a temp name and
`os.replace`d into place are atomic on POSIX and Windows, so concurrent writers
(threads, or matrix shards sharing a restored cache) never leave a torn entry:
the last writer wins with the same content, and readers see old-or-new. Entries
are immutable (the key hashes everything that decides the answer), so there is
no invalidation, and a corrupt or foreign file simply reads as a miss.
Only successful answers are stored; errors and empty answers never are.

Where it lives is a trust decision (SECURITY.md): by default outside the checkout
(`$XDG_CACHE_HOME/agentci`, else `~/.cache/agentci`), and a file tracked by git is never
read as an answer even when AGENTCI_CACHE_DIR points into the checkout, so a pull request
cannot plant the answers its own cases are scored on.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from agentci.eval.providers.base import Response, ToolCall

ENV = "AGENTCI_CACHE_DIR"
VERSION = 1
#: Response fields kept as they are (absent in older entries: None).
_EXTRA = ("finish_reason", "refusal", "reasoning_tokens", "cached_input_tokens")


#: a temp file older than this is a killed writer's leftover
STALE_TMP_S = 600.0


def default_dir(repo_root: Path | None = None) -> Path:
    """AGENTCI_CACHE_DIR, else the user's cache folder: never the checkout under review."""
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "agentci"


class Cache:
    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self._made: set[str] = set()
        self._tracked: set[str] = _tracked_under(self.root) if enabled else set()
        if enabled:
            _sweep_tmp(self.root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> Response | None:
        if not self.enabled or f"{key[:2]}/{key[2:]}.json" in self._tracked:
            return None
        try:
            data = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError):
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
        if self.enabled:
            with contextlib.suppress(OSError):
                self._path(key).unlink()

    def put(self, key: str, response: Response) -> None:
        if not self.enabled or (not response.text.strip() and not response.tool_calls):
            return  # an empty answer is a failure to replay, not an answer
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


def _tracked_under(root: Path) -> set[str]:
    """Files under `root` that git tracks (root-relative, '/'-separated): they came with the
    checkout, so they are never answers."""
    if not root.is_dir():
        return set()
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    if proc.returncode != 0:
        return set()
    return {name.decode("utf-8", "replace") for name in proc.stdout.split(b"\0") if name}


def _sweep_tmp(root: Path) -> None:
    """Remove temp files a killed run left behind (a live writer's are younger than STALE_TMP_S;
    should one still vanish, its rename fails and the answer is simply not cached)."""
    try:
        shards = [e for e in os.scandir(root) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    cutoff = time.time() - STALE_TMP_S
    for shard in shards:
        with contextlib.suppress(OSError):
            for entry in os.scandir(shard.path):
                if (
                    entry.name.startswith(".tmp-")
                    and entry.stat(follow_symlinks=False).st_mtime < cutoff
                ):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
