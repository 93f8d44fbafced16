"""The one SARIF 2.1.0 writer (GitHub code scanning), for `agentci validate --format sarif` and
`agentci report --format sarif`: the rule table as tool.driver.rules, one result per finding.

Failing eval cases reach it as findings too (rules `eval-failure`, `eval-regression`, at the
case's line in its eval set: `agentci.report.formats`). Output is checked against the OASIS
sarif-schema-2.1.0.json in tests (vendored in tests/fixtures/schemas/).
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from agentci import __version__
from agentci.findings import Finding, Severity
from agentci.rules import RULES, Rule, rule

#: Rules of results that come from evals, not validation (reported by `agentci report`).
EVAL_RULES = {
    r.id: r
    for r in (
        Rule(
            "eval-failure",
            Severity.ERROR,
            "An eval case fails or errors",
            "read the case's output and failing assertions in the report; fix the prompt or the case",
            ("eval",),
        ),
        Rule(
            "eval-regression",
            Severity.ERROR,
            "An eval case passed on the base branch and fails on this change",
            "compare the prompt change with the case's expected answer; revert or fix the prompt",
            ("eval", "regression"),
        ),
    )
}

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/agentci/agentci"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _descriptor(rule_id: str) -> dict[str, Any]:
    r = EVAL_RULES.get(rule_id) or rule(rule_id)
    help_text = f"{r.description}. Fix: {r.hint}" if r.hint else r.description
    return {
        "id": r.id,
        "name": "".join(part.capitalize() for part in r.id.split("-")),
        "shortDescription": {"text": r.description},
        "fullDescription": {"text": r.description},
        "help": {
            "text": help_text,
            "markdown": f"**{r.description}.**\n\nFix: {r.hint}" if r.hint else r.description,
        },
        "defaultConfiguration": {"level": _LEVEL[r.severity]},
        "properties": {"tags": ["agentci", *r.tags], "precision": "high"},
    }


def _fingerprint(f: Finding) -> str:
    # Stable across runs while the finding stays the same; line moves do not reopen alerts.
    digest = hashlib.sha256(f"{f.rule}\0{f.path}\0{f.message}".encode()).hexdigest()[:16]
    return f"{digest}:1"


def _uri(path: str) -> str:
    """A repo-relative path as the relative URI reference SARIF's `uri` must be (spaces, `%`,
    `#` and non-ASCII names percent-encoded; `/` kept)."""
    return quote(path, safe="/")


def sarif(findings: list[Finding]) -> dict[str, Any]:
    rule_ids = list(RULES) + sorted({f.rule for f in findings} - set(RULES))
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results = []
    for f in findings:
        region: dict[str, int] = {"startLine": max(f.line, 1)}
        if f.column:
            region["startColumn"] = f.column
        text = f.message + (f" Fix: {f.hint}" if f.hint else "")
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": _LEVEL.get(f.severity, "warning"),
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {"primaryLocationLineHash": _fingerprint(f)},
            }
        )
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "agentci",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": [_descriptor(rid) for rid in rule_ids],
                    }
                },
                "originalUriBaseIds": {
                    "%SRCROOT%": {"description": {"text": "The repository root."}}
                },
                "results": results,
            }
        ],
    }
