"""Reporting: results JSON (+ validation findings, deploy status) -> markdown, JUnit, SARIF.

Rendering reads only those files, so `agentci report` gives the same text on a laptop as
in the PR comment. Untrusted text is made inert by `escape`; templates live in templates/.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentci.errors import AgentciError
from agentci.report.model import load_json

if TYPE_CHECKING:
    from agentci.eval.gates import GateConfig
    from agentci.eval.records import RunResults


def load_results(
    paths: list[Path], merge: bool = False, gate: GateConfig | None = None
) -> RunResults:
    """One results file, or (with merge) the union of shard files, checked by the eval
    engine's own loader so a foreign or damaged file is refused, never shown as passed.
    `gate`: the trusted thresholds to re-gate with (default: the file's own).
    Redacted here, before any formatting: a file from elsewhere may hold this job's keys."""
    from agentci.eval import results

    if len(paths) > 1 and not merge:
        raise AgentciError(
            f"{len(paths)} results files given", hint="add --merge to join shard results"
        )
    run = results.merge(paths) if len(paths) > 1 else results.load(paths[0])
    if gate is not None:
        run = results.recompute(run, gate)
    return results.redacted(run)


def load_findings(path: Path) -> list[dict[str, Any]]:
    """Findings from `agentci validate --format json` ({"findings": [...]}) or a bare list."""
    doc = load_json(path, "findings file")
    items = doc.get("findings") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise AgentciError(
            f"{path}: no 'findings' list",
            hint="pass the output of `agentci validate --format json`",
        )
    from agentci import redact

    return [redact.scrub(f) for f in items if isinstance(f, dict)]
