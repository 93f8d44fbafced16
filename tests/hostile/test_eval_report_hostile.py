"""Hostile repos through `agentci eval`, and hostile results JSON through `agentci report`.

eval runs the real CLI against the OpenAI-compatible stand-in on 127.0.0.1; report runs
the CLI entry point in-process (many generated files): exit 0/1/2, one clear message,
never a traceback or an internal error, and model output never becomes live markdown.
"""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from bounded_run import count
from hostile_corpus import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers.openai_stub import Stub

from agentci.cli import main as agentci_main
from tests.conftest import init_repo

CASES = [
    "traversal-every-field",
    "symlinks-outside",
    "metachar-names",
    "wrong-types",
    "bad-tools-and-evals",
    "encodings",
    "deep-nesting",
]


@pytest.fixture(scope="module")
def model():
    s = Stub()
    yield s
    s.stop()


@pytest.mark.parametrize("name", CASES)
def test_eval_survives(name, sandbox, cli, model):
    CORPUS[name](sandbox.repo, sandbox.outside)
    init_repo(sandbox.repo)
    sandbox.arm()
    out = sandbox.repo / ".agentci" / "results.json"
    proc = cli(
        "eval",
        "--no-cache",
        "--output",
        str(out),
        cwd=sandbox.repo,
        timeout=120,
        env={
            "OPENAI_API_KEY": "sk-x",
            "OPENAI_BASE_URL": model.url,
            "AGENTCI_CACHE_DIR": str(sandbox.repo / ".cache"),
        },
    )
    sandbox.check(proc, extra_text=out.read_text() if out.exists() else "")


INJECTION = (
    "<img src=x onerror=alert(1)> @everyone [click](https://evil.example) </pre></details>\n"
    "## ✅ all passed\n<!-- agentci -->\n::set-output name=pass-rate::1.0"
)

VALID = {
    "version": 1,
    "tool": "agentci 0.1.0",
    "created_at": "2025-01-01T00:00:00Z",
    "repo": "/r",
    "commit": None,
    "base": None,
    "shard": None,
    "gate": {
        "passed": False,
        "reasons": ["pass rate 0.50 < min 0.80"],
        "min_pass_rate": 0.8,
        "max_regressions": 0,
    },
    "totals": {
        "agents": 1,
        "cases": 2,
        "passed": 1,
        "failed": 1,
        "errors": 0,
        "skipped": 0,
        "pass_rate": 0.5,
        "regressions": 1,
        "fixes": 0,
        "new": 0,
        "requests": 2,
        "cached": 0,
        "duration_s": 1.0,
    },
    "agents": [
        {
            "name": "bot",
            "provider": "openai",
            "model": "m",
            "changed": True,
            "skipped": None,
            "pass_rate": 0.5,
            "base_pass_rate": 1.0,
            "totals": {
                "cases": 2,
                "passed": 1,
                "failed": 1,
                "errors": 0,
                "regressions": 1,
                "fixes": 0,
                "new": 0,
            },
            "sets": [
                {
                    "path": "agents/bot/evals/g.yaml",
                    "threshold": 0.8,
                    "cases": 2,
                    "passed": 1,
                    "pass_rate": 0.5,
                    "gate_passed": False,
                }
            ],
            "cases": [
                {
                    "id": "c1",
                    "set": "agents/bot/evals/g.yaml",
                    "line": 3,
                    "input": "q",
                    "expected": "a",
                    "vars": {},
                    "status": "fail",
                    "score": 0.0,
                    "threshold": 0.8,
                    "output": INJECTION,
                    "error": None,
                    "latency_ms": 1.0,
                    "tokens": {"input": 1, "output": 1},
                    "cached": False,
                    "runs": 1,
                    "runs_passed": 0,
                    "assertions": [
                        {
                            "type": "contains",
                            "value": "a",
                            "passed": False,
                            "score": 0.0,
                            "reason": INJECTION,
                            "weight": 1.0,
                        }
                    ],
                    "base": {"status": "pass", "score": 1.0, "output": INJECTION},
                    "change": "regression",
                }
            ],
        }
    ],
}

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.just(INJECTION),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(value, prefix=()):  # type: ignore[no-untyped-def]
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(VALID) if p]


def _mutate(data, path, new, delete):  # type: ignore[no-untyped-def]
    out = copy.deepcopy(data)
    node = out
    for k in path[:-1]:
        node = node[k]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = new
    return out


def _run_report(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = agentci_main(args)
    count(out.getvalue() + err.getvalue())
    return rc, out.getvalue() + err.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    edits=st.lists(st.tuples(st.sampled_from(PATHS), junk, st.booleans()), min_size=1, max_size=3),
    fmt=st.sampled_from(["markdown", "summary", "junit", "sarif", "json"]),
)
def test_report_on_mutated_results(edits, fmt):
    data = VALID
    for path, new, delete in edits:
        try:
            data = _mutate(data, path, new, delete)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed this path's parent
    d = Path(tempfile.mkdtemp(prefix="agentci-report-"))
    try:
        f = d / "results.json"
        f.write_text(json.dumps(data))
        rc, text = _run_report(["report", "--results", str(f), "--format", fmt])
        assert rc in (0, 1, 2), text
        assert "internal error" not in text and "Traceback" not in text, text[-2000:]
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("fmt", ["markdown", "summary"])
def test_model_output_is_inert_in_markdown(tmp_path, fmt):
    f = tmp_path / "results.json"
    f.write_text(json.dumps(VALID))
    rc, text = _run_report(["report", "--results", str(f), "--format", fmt])
    assert rc == 0, text
    # Inside <pre>…</pre> nothing is parsed as markdown (CommonMark HTML block 1), so only
    # check that no raw </pre> closes it early, and that outside of it nothing is live.
    blocks = re.findall(r"<pre>(.*?)</pre>", text, re.S)
    assert all("</pre" not in b and "<" not in b for b in blocks), (
        "untrusted text can close the <pre> block"
    )
    outside = re.sub(r"<pre>.*?</pre>", "", text, flags=re.S)
    for live in (
        "<img",
        "@everyone",
        "](https://evil",
        "\n## ✅ all passed",
        "\n::set-output",
        "<!-- agentci -->",
    ):
        assert live not in outside, f"untrusted text rendered live: {live!r}"


@pytest.mark.parametrize("content", ["", "{", "[]", "null", "\x00\x01", '{"agents": "x"}'])
def test_report_on_broken_results_file(tmp_path, content, cli):
    f = tmp_path / "results.json"
    f.write_text(content)
    proc = cli("report", "--results", str(f), cwd=tmp_path)
    assert proc.returncode in (1, 2), proc.stdout
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert "results.json" in proc.stderr, "the message names the file"


def test_report_does_not_fail_open_on_a_results_file_without_a_gate(tmp_path, cli):
    """A results file of an unknown version with no gate must not render as a passed gate."""
    f = tmp_path / "results.json"
    f.write_text('{"version": 99}')
    proc = cli("report", "--results", str(f), cwd=tmp_path)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert proc.returncode == 2 or "passed" not in proc.stdout, proc.stdout
