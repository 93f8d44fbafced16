"""Fixtures for the hostile-input suite (the sandbox itself lives in hostile_sandbox.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_sandbox import Sandbox, make_sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    return make_sandbox(tmp_path)
