from __future__ import annotations

from agentci.cli import entry

entry()
