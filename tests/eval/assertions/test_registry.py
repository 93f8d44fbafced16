from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentci.assertion_types import ASSERTION_MODULES
from agentci.eval.assertions.registry import check_for, parse_spec
from agentci.eval.cases import Case
from agentci.eval.scoring import score_run
from tests.eval.assertions.conftest import make_ctx

ROOT = Path(__file__).resolve().parents[3]


def test_every_listed_type_has_an_implementation():
    for atype in ASSERTION_MODULES:
        assert callable(check_for(atype)), atype


def test_heavy_modules_load_only_when_needed():
    script = (
        "import json, sys\n"
        "from agentci.eval.assertions.registry import parse_spec, run_assertion\n"
        "from agentci.eval.assertions.base import Context\n"
        "from agentci.eval.providers.base import Response\n"
        "spec = parse_spec({'type': 'icontains', 'value': 'x'})\n"
        "run_assertion(spec, Context(input='q', output='X', response=Response(text='X')))\n"
        "parse_spec({'type': 'llm-rubric', 'value': 'polite'})\n"
        "print(json.dumps(sorted(m for m in ('deepeval', 'jsonschema', 'llama_cpp', 'torch') if m in sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def case(asserts, threshold=None):
    return Case(
        agent="a",
        set_path="s.yaml",
        id="c",
        line=1,
        input="q",
        asserts=tuple(parse_spec(a) for a in asserts),
        threshold=threshold,
    )


@pytest.mark.parametrize(("threshold", "passed"), [(0.75, False), (0.6, True), (None, False)])
def test_weights_decide_the_case_score(threshold, passed):
    c = case(
        [
            {"type": "icontains", "value": "30 days", "weight": 2},
            {"type": "icontains", "value": "refund", "weight": 1},
        ],
        threshold,
    )
    run = score_run(c, make_ctx("Return it within 30 days."))
    assert run.score == pytest.approx(2 / 3, abs=1e-4)
    assert run.passed is passed
    assert [r.weight for r in run.assertions] == [2.0, 1.0]


def test_weight_zero_is_informational():
    c = case(
        [{"type": "icontains", "value": "30"}, {"type": "icontains", "value": "zzz", "weight": 0}]
    )
    run = score_run(c, make_ctx("30 days"))
    assert run.passed and run.score == 1.0
    assert not run.assertions[1].passed  # still reported, with its reason
