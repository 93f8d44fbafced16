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
    docs = [load_json(p, "results file") for p in paths]
    for p, doc in zip(paths, docs):
        if not isinstance(doc, dict) or not isinstance(doc.get("agents", []), list):
            raise AgentciError(f"{p}: not an agentci results file (no 'agents' list)",
                               hint="pass the JSON written by `agentci eval --output PATH`")
    if len(docs) == 1:
        return dict(docs[0])
    if not merge:
        raise AgentciError(f"{len(docs)} results files given", hint="add --merge to join shard results")
    return merge_results(docs)


def merge_results(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Join shard results: the eval engine's merge when it is there (it recomputes gates
    exactly as `agentci eval` does), else a plain union of agents and cases."""
    try:
        results_mod = importlib.import_module("agentci.eval.results")
    except ImportError:
        results_mod = None
    merge = getattr(results_mod, "merge", None)
    if callable(merge):
        return dict(merge(docs))
    merged = dict(docs[0])
    merged["shard"] = None
    by_name: dict[str, dict[str, Any]] = {}
    for doc in docs:
        for agent in doc.get("agents", []):
            if not isinstance(agent, dict):
                continue
            into = by_name.setdefault(str(agent.get("name")), {**agent, "cases": []})
            into["cases"] = into["cases"] + list(agent.get("cases") or [])
    merged["agents"] = list(by_name.values())
    passed = [bool((d.get("gate") or {}).get("passed", True)) for d in docs]
    merged["gate"] = {**(docs[0].get("gate") or {}), "passed": all(passed),
                      "reasons": [r for d in docs for r in (d.get("gate") or {}).get("reasons", [])]}
    return merged


def load_findings(path: Path) -> list[dict[str, Any]]:
    """Findings from `agentci validate --format json` ({"findings": [...]}) or a bare list."""
    doc = load_json(path, "findings file")
    items = doc.get("findings") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise AgentciError(f"{path}: no 'findings' list", hint="pass the output of `agentci validate --format json`")
    return [f for f in items if isinstance(f, dict)]
