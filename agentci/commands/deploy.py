"""agentci deploy (not built yet)."""

from __future__ import annotations

import argparse

from agentci.errors import AgentciError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise AgentciError("agentci deploy is not available yet")
