"""Progress: a one-line bar on a terminal; in CI (or any non-TTY) a plain line at least every
`interval` seconds (cases done / total, passed so far, rate), then one line per agent.

Timed from a ticker thread, not from case completions, so a log shows the run is alive
even while every case waits on a slow endpoint. `AGENTCI_PROGRESS_INTERVAL` (seconds,
default 10; 0 turns the timed lines off) sets the interval.

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

DEFAULT_INTERVAL = 10.0
MIN_INTERVAL = 0.2


def interval_from_env(env: dict[str, str] | None = None) -> float:
    raw = (env if env is not None else os.environ).get("AGENTCI_PROGRESS_INTERVAL", "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL
    if value != value or value < 0:  # NaN or negative: the default
        return DEFAULT_INTERVAL
    return 0.0 if value == 0 else max(MIN_INTERVAL, min(value, 3600.0))


class Progress:
    def __init__(
        self,
        total: int,
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        interval: float | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        self.passed = 0
        self.enabled = enabled
        self.tty = (
            enabled
            and self.stream.isatty()
            and os.environ.get("CI", "").lower() not in ("1", "true")
        )
        self.started = time.monotonic()
        self.by_agent: dict[str, dict[str, int]] = {}
        self.interval = interval_from_env() if interval is None else interval
        self._lock = threading.Lock()
        self._last = 0.0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if enabled and not self.tty and total > 0 and self.interval > 0:
            self._ticker = threading.Thread(target=self._tick, name="agentci-progress", daemon=True)
            self._ticker.start()

    def update(self, result: CaseResult) -> None:
        with self._lock:
            self.done += 1
            self.passed += result.status == "pass"
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

    def line(self) -> str:
        """The timed CI line: done/total, passed so far, rate, elapsed."""
        with self._lock:
            done, passed = self.done, self.passed
        elapsed = time.monotonic() - self.started
        pct = f" ({done / self.total:.0%})" if self.total else ""
        rate = done / elapsed if elapsed > 0 else 0.0
        return (
            f"  eval: {done}/{self.total} cases done{pct}, {passed} passed, "
            f"{done - passed} not passed; {rate:.2f} cases/s; {elapsed:.0f}s elapsed"
        )

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            text = self.line()
            with self._lock:
                self.stream.write(text + "\n")
                self.stream.flush()

    def stop(self) -> None:
        """End the timed lines (the run is over, or failed)."""
        self._stop.set()
        ticker, self._ticker = self._ticker, None
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join(timeout=5)

    def agent_done(self, name: str, line: str) -> None:
        """Called once per agent with its summary, after the run."""
        self.stop()
        if not self.enabled:
            return
        with self._lock:
            if self.tty:
                self.stream.write("\r\033[K")
            # an agent name is PR-authored: one line, nothing that drives the terminal or
            # starts a workflow command in the Actions log
            self.stream.write(safe_text.line(f"{name}: {line}") + "\n")
            self.stream.flush()
