"""JUnit XML from the results JSON: one testsuite per agent, one testcase per case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from agentci.errors import AgentciError


def _clean(text: Any) -> str:
    from agentci.safe_text import xml as xml_text  # the one XML 1.0 character filter

    return xml_text(str(text or ""))


def to_xml(results: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name="agentci")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for agent in results["agents"]:
        t = agent["totals"]
        counts: dict[str, int] = {
            "tests": t["cases"],
            "failures": t["failed"],
            "errors": t["errors"],
            "skipped": t["skipped"],
        }
        for k, v in counts.items():
            total[k] += v
        time_s = sum((c.get("latency_ms") or 0) for c in agent["cases"]) / 1000
        attrs = {k: str(v) for k, v in counts.items()}
        suite = ET.SubElement(
            root, "testsuite", name=_clean(agent["name"]), time=f"{time_s:.3f}", attrib=attrs
        )
        for c in agent["cases"]:
            tc = ET.SubElement(
                suite,
                "testcase",
                classname=_clean(f"{agent['name']}.{c['set']}"),
                name=_clean(c["id"]),
                file=_clean(c["set"]),
                line=str(c.get("line") or 0),
                time=f"{(c.get('latency_ms') or 0) / 1000:.3f}",
            )
            status = c["status"]
            if status == "fail":
                failed = [a for a in c["assertions"] if not a["passed"]]
                msg = (
                    "; ".join(a["reason"] for a in failed) or f"score {c['score']} below threshold"
                )
                if c.get("change") == "regression":
                    msg = "REGRESSION (passed on base): " + msg
                el = ET.SubElement(tc, "failure", message=_clean(msg)[:1000], type="assertion")
                el.text = _clean(f"output:\n{c.get('output') or ''}")
            elif status == "error":
                ET.SubElement(tc, "error", message=_clean(c.get("error"))[:1000], type="error")
            elif status == "skipped":
                ET.SubElement(tc, "skipped", message=_clean(agent.get("skipped") or "skipped"))
    for k, v in total.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(path: Path, results: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        from agentci import redact

        path.write_text(redact.text(to_xml(redact.scrub(results))), encoding="utf-8")
    except OSError as exc:
        raise AgentciError(
            f"cannot write JUnit XML {path}: {exc.strerror or exc}",
            hint="pass a writable file path with --junit",
        ) from None
