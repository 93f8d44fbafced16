"""Fixtures for the deploy tests (helpers live in deploy_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # tests.servers.* stand-ins
    sys.path.insert(0, str(ROOT))
