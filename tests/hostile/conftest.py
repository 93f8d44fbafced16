"""Fixtures for the hostile-input suite (the sandbox itself lives in hostile_sandbox.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_sandbox import Sandbox, make_sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    return make_sandbox(tmp_path)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """The suite's count of internal errors (each test also asserts none on its own runs)."""
    from bounded_run import TALLY

    if TALLY["runs"]:
        terminalreporter.write_line(
            f"hostile suite: {TALLY['runs']} agentci runs checked, "
            f"{TALLY['internal_errors']} internal errors (must be 0)"
        )
