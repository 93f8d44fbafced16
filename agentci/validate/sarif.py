"""SARIF 2.1.0 for GitHub code scanning: the rule table as tool.driver.rules, one result per finding."""

from __future__ import annotations

import hashlib
from typing import Any

from agentci import __version__
from agentci.findings import Finding, Severity
from agentci.rules import RULES, rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/agentci/agentci"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _descriptor(rule_id: str) -> dict[str, Any]:
    r = rule(rule_id)
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
                            "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
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
