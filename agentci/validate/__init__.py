"""Validation: schema and semantic checks over a loaded Repo, each with a stable rule id.

`validate(repo)` returns every finding at once, sorted by file and line. The checks
live one family per module in this package and are listed in `checks.CHECKS`; the
rule ids, severities and hints are in `rules.RULES`.
"""

from __future__ import annotations

from agentci.findings import Finding, sort_key
from agentci.repo import Repo


def validate(repo: Repo) -> list[Finding]:
    from agentci.validate.checks import CHECKS
    from agentci.validate.context import Context

    ctx = Context(repo)
    findings = list(repo.findings)
    for check in CHECKS:
        findings += check(ctx)
    ignored = set(repo.config.ignore)
    # Two agents sharing a prompt or tools file would report the same finding twice.
    unique = {
        (f.rule, f.path, f.line, f.column, f.message): f for f in findings if f.rule not in ignored
    }
    return sorted(unique.values(), key=sort_key)
