"""The validate step of a flow: check the run's repo, print the findings, keep them for the report."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from agentci.findings import Finding, Severity
from agentci.flows.run import Run, say


@dataclass
class Validation:
    findings: list[Finding]
    agents: int

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    def for_report(self) -> list[dict[str, Any]]:
        """The findings as the report reads them, redacted (a finding may quote a file)."""
        from agentci import redact

        return [redact.scrub(f.to_json()) for f in self.findings]


def check(run: Run) -> Validation:
    """Every finding for the run's repo (what `agentci validate` reports)."""
    from agentci.validate import validate as rules

    return Validation(rules(run.repo), len(run.repo.agents))


def validate(run: Run) -> Validation:
    """Validate the run's repo, print the text report and save `.agentci/findings.json`."""
    from agentci import redact
    from agentci.validate.output import render

    done = check(run)
    findings = done.findings
    say(f"validate: {done.agents} agent(s)")
    sys.stdout.write(render(findings, "text", agents=done.agents))
    out = run.root / ".agentci" / "findings.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"agents": done.agents, "findings": [f.to_json() for f in findings]}
    out.write_text(redact.text(json.dumps(doc, indent=1)), encoding="utf-8")
    return done
