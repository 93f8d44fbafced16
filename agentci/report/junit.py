"""The one JUnit XML writer (`agentci eval --junit` and `agentci report --format junit`).

Shape: the Jenkins xUnit plugin's `junit-10.xsd` (vendored in tests/fixtures/schemas/, checked
in tests), which pytest's default `xunit2` family also follows and which dorny/test-reporter,
mikepenz/action-junit-report and EnricoMi/publish-unit-test-result-action read. One
`testsuite` per agent and eval set, its `file` the set's path (the schema has no `file` or
`line` on `testcase`, so the case's line is in the failure text); one `testcase` per case,
`classname` "agent.set", `name` the case id.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from agentci import safe_text
from agentci.errors import AgentciError
from agentci.eval.records import AgentResult, CaseRecord, RunResults

#: attribute messages are one line in every reader; the full text is the element's body
MESSAGE_LIMIT = 1000


def _seconds(ms: float | None) -> float:
    return max(0.0, ms or 0.0) / 1000


def _case(suite: ET.Element, agent: AgentResult, c: CaseRecord) -> None:
    tc = ET.SubElement(
        suite,
        "testcase",
        classname=safe_text.xml(f"{agent.name}.{c.set}"),
        name=safe_text.xml(c.id),
        time=f"{_seconds(c.latency_ms):.3f}",
    )
    where = f"{c.set}:{c.line}" if c.line else c.set
    if c.status == "fail":
        msg = "; ".join(c.failed_reasons) or f"score {c.score} below threshold {c.threshold}"
        if c.change == "regression":
            msg = "REGRESSION (passed on base): " + msg
        el = ET.SubElement(
            tc, "failure", message=safe_text.xml(msg)[:MESSAGE_LIMIT], type="assertion"
        )
        el.text = safe_text.xml(f"{where}\noutput:\n{c.output or ''}")
    elif c.status == "error":
        el = ET.SubElement(
            tc, "error", message=safe_text.xml(c.error or "error")[:MESSAGE_LIMIT], type="error"
        )
        el.text = safe_text.xml(f"{where}\n{c.error or ''}")
    elif c.status == "skipped":
        ET.SubElement(tc, "skipped", message=safe_text.xml(agent.skipped or "skipped"))


def to_xml(run: RunResults) -> str:
    root = ET.Element("testsuites", name="agentci")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    for agent in run.agents:
        paths = list(dict.fromkeys([s.path for s in agent.sets] + [c.set for c in agent.cases]))
        for path in paths:
            cases = [c for c in agent.cases if c.set == path]
            if not cases:
                continue
            counts = {
                "tests": len(cases),
                "failures": sum(c.status == "fail" for c in cases),
                "errors": sum(c.status == "error" for c in cases),
                "skipped": sum(c.status == "skipped" for c in cases),
            }
            time_s = sum(_seconds(c.latency_ms) for c in cases)
            suite = ET.SubElement(
                root,
                "testsuite",
                name=safe_text.xml(f"{agent.name}: {path}"),
                file=safe_text.xml(path),
                time=f"{time_s:.3f}",
                attrib={k: str(v) for k, v in counts.items()},
            )
            props = {"agent": agent.name, "provider": agent.provider, "model": agent.model}
            if agent.skipped:
                props["skipped"] = agent.skipped
            properties = ET.SubElement(suite, "properties")
            for name, value in props.items():
                ET.SubElement(properties, "property", name=name, value=safe_text.xml(value))
            for c in cases:
                _case(suite, agent, c)
            for k, v in counts.items():
                total[k] += v
            seconds += time_s
    for k in ("tests", "failures", "errors"):  # junit-10.xsd has no `skipped` on testsuites
        root.set(k, str(total[k]))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(path: Path, run: RunResults) -> None:
    from agentci import redact

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact.text(to_xml(run)), encoding="utf-8")
    except OSError as exc:
        raise AgentciError(
            f"cannot write JUnit XML {path}: {exc.strerror or exc}",
            hint="pass a writable file path with --junit",
        ) from None
