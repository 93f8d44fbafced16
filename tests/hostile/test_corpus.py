"""Malformed repos through the real CLI: exit 0/1/2 with findings, no traceback, nothing outside touched."""

from __future__ import annotations

import json

import pytest
from hostile_corpus import CORPUS


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_validate_survives(name, sandbox, cli):
    CORPUS[name](sandbox.repo, sandbox.outside)
    sandbox.arm()
    proc = cli("validate", ".", "--format", "json", cwd=sandbox.repo, timeout=120)
    sandbox.check(proc)
    report = json.loads(proc.stdout)
    if proc.returncode == 1:
        assert report["findings"], "exit 1 must come with findings"
    for f in report["findings"]:
        assert f["path"] and not f["path"].startswith(("/", "../")), (
            f"finding points outside the repo: {f}"
        )
        assert isinstance(f["line"], int) and f["line"] >= 0


@pytest.mark.parametrize("name", ["traversal-every-field", "symlinks-outside", "metachar-names"])
@pytest.mark.parametrize("fmt", ["text", "github", "sarif"])
def test_validate_formats_survive(name, fmt, sandbox, cli):
    CORPUS[name](sandbox.repo, sandbox.outside)
    sandbox.arm()
    proc = cli("validate", "--format", fmt, "--output", "report.out", cwd=sandbox.repo, timeout=120)
    report = (
        (sandbox.repo / "report.out").read_text() if (sandbox.repo / "report.out").exists() else ""
    )
    sandbox.check(proc, extra_text=report)
    assert proc.returncode == 1, "every repo here has errors"


def test_traversal_is_reported_on_its_line(sandbox, cli):
    CORPUS["traversal-every-field"](sandbox.repo, sandbox.outside)
    sandbox.arm()
    proc = cli("validate", "--format", "json", cwd=sandbox.repo)
    sandbox.check(proc)
    findings = json.loads(proc.stdout)["findings"]
    escaped = {(f["path"], f["line"]) for f in findings if f["rule"] == "path-escape"}
    # prompt (line 4), tools (5), knowledge (6) and evals (7) of every agent with a climbing path
    for i in (0, 1, 2, 3, 5):  # 4 ("agents/../..") stays inside the repo
        for line in (4, 5, 6, 7):
            assert (f"agents/trav-{i}/agent.yaml", line) in escaped, (i, line, sorted(escaped))


def test_agent_dir_symlinked_from_outside_is_not_loaded(sandbox, cli):
    CORPUS["symlinks-outside"](sandbox.repo, sandbox.outside)
    sandbox.arm()
    proc = cli("validate", "--format", "json", cwd=sandbox.repo)
    sandbox.check(proc)
    assert "evil" not in json.dumps(json.loads(proc.stdout)["findings"]).replace("agents/evil/", "")
