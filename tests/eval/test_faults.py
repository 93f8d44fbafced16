"""Every fault a provider can throw: the run finishes, each case is recorded once, the error is stated."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from agentci.eval.engine import EvalOptions
from tests.eval.conftest import cases_of, evaluate_doc, simple_cases

FAULTS = {
    "hang": "timed out",
    "429": "HTTP 429",
    "500": "HTTP 500",
    "malformed": "not valid JSON",
    "empty": "no choices",
    "drop": "connection dropped",
}
CONFIG = "eval: {retries: 1, timeout: 0.5, concurrency: 8}\n"


def test_each_fault_is_one_stated_error_and_the_run_finishes(stub, eval_env, agent_repo):
    stub.faults(None, hang_s=2.0)
    cases = (
        "cases:\n  - id: ok\n    input: hello\n    assert: [{type: icontains, value: '30 days'}]\n"
    )
    for kind in FAULTS:
        cases += f"  - id: f-{kind}\n    input: 'q [[fault:{kind}]]'\n    assert: [{{type: icontains, value: x}}]\n"
    root = agent_repo(cases=cases, config=CONFIG)
    data = evaluate_doc(EvalOptions(root=root, progress=False, backoff_base=0.01))
    ids = [c["id"] for a in data["agents"] for c in a["cases"]]
    assert Counter(ids) == Counter(["ok", *(f"f-{k}" for k in FAULTS)])
    got = cases_of(data)
    assert got["ok"]["status"] == "pass"
    for kind, words in FAULTS.items():
        case = got[f"f-{kind}"]
        assert case["status"] == "error", case
        assert words in case["error"], (kind, case["error"])
        assert "2 attempts" in case["error"]  # retries: 1 -> two tries, then the error is kept
    assert data["totals"]["errors"] == len(FAULTS)
    assert stub.stats()["completions"] == 1 + 2 * len(FAULTS)
    assert not data["gate"]["passed"]


def test_transient_faults_are_retried_until_success(stub, eval_env, agent_repo):
    root = agent_repo(cases=simple_cases(10), config="eval: {retries: 4, concurrency: 4}\n")
    stub.faults("500", count=3)
    data = evaluate_doc(EvalOptions(root=root, progress=False, backoff_base=0.01))
    assert data["totals"]["passed"] == 10
    assert stub.stats()["completions"] == 13
    assert data["totals"]["requests"] == 13


def test_retry_after_is_honoured(stub, eval_env, agent_repo):
    stub.faults(None, retry_after="1")
    root = agent_repo(
        cases="cases:\n  - id: r\n    input: 'q [[fault:429x1]]'\n"
        "    assert: [{type: icontains, value: '30 days'}]\n"
    )
    data = evaluate_doc(EvalOptions(root=root, progress=False, backoff_base=0.0))
    assert cases_of(data)["r"]["status"] == "pass"
    log = stub.log()
    assert [e["fault"] for e in log] == ["429", None]
    # measured on the server's clock: the retry came no sooner than Retry-After allowed
    assert log[1]["ts"] - log[0]["ts"] >= 0.95


def test_concurrency_and_per_provider_limit_bound_requests_in_flight(stub, eval_env, agent_repo):
    stub.state.latency = 0.1
    root = agent_repo(cases=simple_cases(8), config="eval: {concurrency: 4}\n")
    evaluate_doc(EvalOptions(root=root, progress=False, no_cache=True))
    assert stub.state.peak_in_flight == 4
    stub.state.peak_in_flight = 0
    (Path(root) / "agentci.yaml").write_text("eval: {concurrency: 8, limits: {openai: 2}}\n")
    evaluate_doc(EvalOptions(root=root, progress=False, no_cache=True))
    assert stub.state.peak_in_flight == 2
