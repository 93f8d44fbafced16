"""Reporting: results JSON (+ validation findings, deploy status) -> markdown, JUnit, SARIF.

Rendering reads only those files, so `agentci report` gives the same text on a laptop as
in the PR comment. Untrusted text is made inert by `escape`; templates live in templates/.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from agentci.errors import AgentciError
from agentci.report.model import load_json


def load_results(paths: list[Path], merge: bool = False) -> dict[str, Any]:
    """One results file, or (with merge) the union of shard files."""
    if len(paths) > 1 and not merge:
        raise AgentciError(f"{len(paths)} results files given", hint="add --merge to join shard results")
    if len(paths) > 1:
        return merge_results(paths)
    doc = load_json(paths[0], "results file")
    if not isinstance(doc, dict) or not isinstance(doc.get("agents", []), list):
        raise AgentciError(f"{paths[0]}: not an agentci results file (no 'agents' list)",
                           hint="pass the JSON written by `agentci eval --output PATH`")
    return doc


def merge_results(paths: list[Path]) -> dict[str, Any]:
    """Join shard results with the eval engine's merge, which recomputes totals and gates
    exactly as `agentci eval` does."""
    try:
        results_mod = importlib.import_module("agentci.eval.results")
    except ImportError:
        results_mod = None
    merge = getattr(results_mod, "merge", None)
    if not callable(merge):
        raise AgentciError("--merge needs agentci.eval.results.merge, which this install lacks",
                           hint="reinstall agentci")
    return dict(merge(paths))


def load_findings(path: Path) -> list[dict[str, Any]]:
    """Findings from `agentci validate --format json` ({"findings": [...]}) or a bare list."""
    doc = load_json(path, "findings file")
    items = doc.get("findings") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise AgentciError(f"{path}: no 'findings' list", hint="pass the output of `agentci validate --format json`")
    return [f for f in items if isinstance(f, dict)]
