"""Machine formats rendered from results JSON: JUnit XML (test tabs in CI tools) and SARIF
(code scanning: validation findings and failing cases at their eval-set line)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from agentci import __version__, safe_text
from agentci.report.model import FAILING


def junit(results: dict[str, Any]) -> str:
    suites = ET.Element("testsuites", name="agentci")
    total = failures = errors = skipped = 0
    for agent in _list(results.get("agents")):
        if not isinstance(agent, dict):
            continue
        cases = [c for c in _list(agent.get("cases")) if isinstance(c, dict)]
        suite = ET.SubElement(
            suites, "testsuite", name=xml_text(str(agent.get("name", "?"))), tests=str(len(cases))
        )
        s_fail = s_err = s_skip = 0
        for case in cases:
            el = ET.SubElement(
                suite,
                "testcase",
                classname=xml_text(str(case.get("set") or agent.get("name", "?"))),
                name=xml_text(str(case.get("id", "?"))),
                time=f"{_seconds(case.get('latency_ms')):.3f}",
            )
            status = case.get("status")
            if status == "fail":
                s_fail += 1
                reasons = [
                    str(a.get("reason", ""))
                    for a in _list(case.get("assertions"))
                    if isinstance(a, dict) and a.get("passed") is False
                ]
                failure = ET.SubElement(
                    el, "failure", message=xml_text("; ".join(reasons) or "failed")
                )
                failure.text = xml_text(str(case.get("output") or ""))
            elif status == "error":
                s_err += 1
                ET.SubElement(el, "error", message=xml_text(str(case.get("error") or "error")))
            elif status == "skipped":
                s_skip += 1
                ET.SubElement(el, "skipped")
        if agent.get("skipped"):
            ET.SubElement(suite, "properties").append(
                ET.Element("property", name="skipped", value=xml_text(str(agent["skipped"])))
            )
        suite.set("failures", str(s_fail))
        suite.set("errors", str(s_err))
        suite.set("skipped", str(s_skip))
        total, failures, errors, skipped = (
            total + len(cases),
            failures + s_fail,
            errors + s_err,
            skipped + s_skip,
        )
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    suites.set("skipped", str(skipped))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def sarif(results: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    out: list[dict[str, Any]] = []
    rules: dict[str, dict[str, Any]] = {}
    for f in findings:
        rule = str(f.get("rule") or "agentci")
        rules.setdefault(rule, {"id": rule})
        level = {"error": "error", "warning": "warning"}.get(str(f.get("severity")), "note")
        out.append(
            _result(rule, level, str(f.get("message", "")), str(f.get("path", "")), f.get("line"))
        )
    for agent in _list(results.get("agents")):
        for case in _list(agent.get("cases") if isinstance(agent, dict) else None):
            if not isinstance(case, dict) or case.get("status") not in FAILING:
                continue
            rule = "eval-regression" if case.get("change") == "regression" else "eval-failure"
            rules.setdefault(rule, {"id": rule})
            reasons = [
                str(a.get("reason", ""))
                for a in _list(case.get("assertions"))
                if isinstance(a, dict) and a.get("passed") is False
            ]
            msg = f"{agent.get('name')}: case {case.get('id')} {case.get('status')}: " + (
                str(case.get("error") or "") or "; ".join(reasons)
            )
            out.append(_result(rule, "error", msg, str(case.get("set") or ""), case.get("line")))
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "agentci",
                        "version": __version__,
                        "rules": list(rules.values()),
                    }
                },
                "results": out,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def _result(rule: str, level: str, message: str, path: str, line: Any) -> dict[str, Any]:
    region = {"startLine": line} if isinstance(line, int) and line > 0 else {}
    loc = {
        "physicalLocation": {
            "artifactLocation": {"uri": path},
            **({"region": region} if region else {}),
        }
    }
    return {
        "ruleId": rule,
        "level": level,
        "message": {"text": message},
        "locations": [loc] if path else [],
    }


#: XML 1.0 cannot carry most control characters (nor lone surrogates, U+FFFE/U+FFFF);
#: model output, case ids and file names from a crafted results file may hold them.
xml_text = safe_text.xml


def _seconds(ms: Any) -> float:
    """latency_ms -> seconds; anything that is not a finite number is 0."""
    value = ms if isinstance(ms, (int, float)) and not isinstance(ms, bool) else 0.0
    return value / 1000 if value == value and abs(value) != float("inf") else 0.0


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
