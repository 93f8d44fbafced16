"""Progress: a one-line bar on a terminal; in CI (or any non-TTY) one plain line per agent.

Hand-rolled rather than `rich`: importing rich costs ~10 ms and a bar that redraws
one line needs none of it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from agentci import safe_text
from agentci.eval.runner import CaseResult


class Progress:
    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        self.enabled = enabled
        self.tty = (
            enabled
            and self.stream.isatty()
            and os.environ.get("CI", "").lower() not in ("1", "true")
        )
        self.started = time.monotonic()
        self.by_agent: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()
        self._last = 0.0

    def update(self, result: CaseResult) -> None:
        with self._lock:
            self.done += 1
            counts = self.by_agent.setdefault(
                result.case.agent, {"pass": 0, "fail": 0, "error": 0, "skipped": 0}
            )
            counts[result.status] = counts.get(result.status, 0) + 1
            now = time.monotonic()
            if self.tty and (now - self._last > 0.1 or self.done == self.total):
                self._last = now
                width = 30
                filled = int(width * self.done / max(1, self.total))
                bad = sum(c["fail"] + c["error"] for c in self.by_agent.values())
                self.stream.write(
                    f"\r  eval [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
                    f"  {bad} failing  {now - self.started:5.1f}s"
                )
                self.stream.flush()

    def agent_done(self, name: str, line: str) -> None:
        """Called once per agent with its summary, after the run."""
        if not self.enabled:
            return
        with self._lock:
            if self.tty:
                self.stream.write("\r\033[K")
            # an agent name is PR-authored: one line, nothing that drives the terminal or
            # starts a workflow command in the Actions log
            self.stream.write(safe_text.line(f"{name}: {line}") + "\n")
            self.stream.flush()
