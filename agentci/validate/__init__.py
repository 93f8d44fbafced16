"""Validation: schema and semantic checks over a loaded Repo, each with a stable rule id.

`validate(repo)` returns every finding at once, sorted by file and line. The checks
live one family per module in this package and are listed in `checks.CHECKS`.
"""

from __future__ import annotations

from agentci.findings import Finding, sort_key
from agentci.repo import Repo


def validate(repo: Repo) -> list[Finding]:
    from agentci.validate.checks import CHECKS

    findings = list(repo.findings)
    for check in CHECKS:
        findings += check(repo)
    ignored = set(repo.config.ignore)
    return sorted((f for f in findings if f.rule not in ignored), key=sort_key)
