"""LLM-judged assertions through deepeval, with the judge behind a real HTTP server on
127.0.0.1 (tests/servers/judge_stub.py) and, once, the embedded local model."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentci.errors import AgentciError
from agentci.eval.assertions.base import Context
from agentci.eval.assertions.registry import parse_spec, run_assertion
from agentci.eval.providers.base import ProviderConfig, Response
from agentci.eval.providers.openai import OpenAIProvider
from tests.servers.judge_stub import judge_stub

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ["Any item can be returned within 30 days of delivery for a full refund."]


@pytest.fixture
def stub(monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", "sk-judge")
    with judge_stub(api_key="sk-judge") as s:
        yield s


def judged(stub, entry, output, **kw):
    judge = OpenAIProvider(ProviderConfig("openai", base_url=stub.url, api_key_env="JUDGE_KEY"))
    ctx = Context(
        input=kw.pop("input", "How long do I have to return an item?"),
        output=output,
        response=Response(text=output),
        judge=judge,
        judge_model="judge-model",
        **kw,
    )
    try:
        return run_assertion(parse_spec(entry), ctx)
    finally:
        judge.close()


def test_llm_rubric_pass_and_fail(stub):
    entry = {"type": "llm-rubric", "value": "Mentions the '30 days' window"}
    res = judged(stub, entry, "You have 30 days to return it.")
    assert res.passed and res.score == 0.9
    assert res.reason.startswith("Rubric [GEval] score 0.90 >= 0.5 (judge openai:judge-model): ")
    assert "mentions 30 days" in res.reason
    assert stub.stats()["judge"] == 2  # GEval: evaluation steps, then the score
    res = judged(stub, entry, "Please contact support.")
    assert not res.passed and res.score == pytest.approx(0.2)
    assert "score 0.20 < 0.5" in res.reason and "does not mention 30 days" in res.reason


def test_g_eval_with_steps_and_threshold(stub):
    entry = {
        "type": "g-eval",
        "value": "unused",
        "threshold": 0.95,
        "name": "Window",
        "args": {"evaluation_steps": ["Check that it says '30 days'"]},
    }
    res = judged(stub, entry, "30 days.")
    assert not res.passed  # 0.9 < 0.95
    assert "Window [GEval] score 0.90 < 0.95" in res.reason
    assert stub.stats()["judge"] == 1  # given steps: no step generation call


def test_answer_relevancy(stub):
    res = judged(
        stub,
        {"type": "answer-relevancy"},
        "You can return an item within 30 days. Our office is blue.",
    )
    assert res.score == 0.5 and res.passed  # one of two statements relevant; threshold 0.5
    assert "Answer Relevancy score 0.50 >= 0.5" in res.reason
    res = judged(
        stub, {"type": "answer-relevancy", "threshold": 0.8}, "Our office is blue. Cats are nice."
    )
    assert not res.passed and res.score == 0.0


def test_faithfulness_against_knowledge(stub):
    ok = judged(
        stub, {"type": "faithfulness"}, "Returns are accepted for 30 days.", context=KNOWLEDGE
    )
    assert ok.passed and ok.score == 1.0
    bad = judged(
        stub, {"type": "faithfulness"}, "Returns are accepted for 90 days.", context=KNOWLEDGE
    )
    assert not bad.passed and bad.score == 0.0
    assert "Faithfulness score 0.00 < 0.5" in bad.reason


def test_faithfulness_without_knowledge_fails_clearly(stub):
    res = judged(stub, {"type": "faithfulness"}, "30 days.")
    assert not res.passed
    assert res.reason == "faithfulness needs the agent's knowledge texts, and this agent has none"
    assert stub.stats().get("judge", 0) == 0


def test_no_judge_configured_is_a_clear_error():
    ctx = Context(input="q", output="a", response=Response(text="a"))
    with pytest.raises(AgentciError) as info:
        run_assertion(parse_spec({"type": "llm-rubric", "value": "polite"}), ctx)
    assert "llm-rubric needs a judge model and none is configured" in str(info.value)
    assert "eval.judge" in info.value.hint


def test_judge_that_answers_nonsense_is_an_error_not_a_pass(monkeypatch):
    from tests.servers.openai_stub import Stub

    monkeypatch.setenv("JUDGE_KEY", "k")
    stub = Stub()  # the plain stub echoes: not JSON (as a server without JSON mode does)
    stub.state.ignore_format = True
    try:
        with pytest.raises(AgentciError) as info:
            judged(stub, {"type": "llm-rubric", "value": "polite"}, "hello")
        assert "the judge openai:judge-model could not score this case" in str(info.value)
    finally:
        stub.stop()


GUARD = r"""
import json, socket, sys
attempts = []
real_connect, real_gai = socket.socket.connect, socket.getaddrinfo
def connect(self, address):
    host = address[0] if isinstance(address, tuple) else str(address)
    if host not in ("127.0.0.1", "::1", "localhost"):
        attempts.append(str(address)); raise OSError("blocked by test: " + str(address))
    return real_connect(self, address)
def getaddrinfo(host, *a, **k):
    if host not in ("127.0.0.1", "::1", "localhost", None):
        attempts.append(str(host)); raise socket.gaierror("blocked by test: " + str(host))
    return real_gai(host, *a, **k)
socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
from agentci.eval.assertions.base import Context
from agentci.eval.assertions.registry import parse_spec, run_assertion
from agentci.eval.providers.base import ProviderConfig, Response
from agentci.eval.providers.openai import OpenAIProvider
judge = OpenAIProvider(ProviderConfig("openai", base_url=sys.argv[1], api_key_env="JUDGE_KEY"))
ctx = Context(input="How many days for a return?", output="Returns take 30 days.", response=Response(text="x"),
              judge=judge, judge_model="m", context=["Returns are accepted for 30 days."])
out = [run_assertion(parse_spec({"type": t, "value": "says '30 days'"} if t == "llm-rubric" else {"type": t}), ctx).passed
       for t in ("llm-rubric", "answer-relevancy", "faithfulness")]
import threading, time; time.sleep(0.5)  # let any background sender (telemetry) try
seen = list(attempts)
try:  # the guard itself must catch an outside call, or the check above proves nothing
    socket.create_connection(("example.com", 443), timeout=1)
except OSError:
    pass
import os
print(json.dumps({"passed": out, "attempts": seen, "guard_works": attempts[len(seen):] == ["example.com"],
                  "dotenv_loaded": "PROBE_FROM_DOTENV" in os.environ}))
"""


def test_deepeval_makes_no_network_calls_besides_the_judge(stub, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "JUDGE_KEY": "sk-judge",
        "PYTHONPATH": str(ROOT),
    }
    # deepeval loads .env files from the working directory unless told not to: a user's
    # secrets must not be pulled into the process by a judged assertion.
    (tmp_path / ".env").write_text("PROBE_FROM_DOTENV=leaked\n")
    (tmp_path / ".env.local").write_text("PROBE_FROM_DOTENV=leaked\n")
    proc = subprocess.run(
        [sys.executable, "-c", GUARD, stub.url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {
        "passed": [True, True, True],
        "attempts": [],
        "guard_works": True,
        "dotenv_loaded": False,
    }
    assert stub.stats()["judge"] >= 6
    # deepeval's working folder went to the temp dir, not into the repo/cwd
    assert not (tmp_path / ".deepeval").exists()


def test_local_model_as_judge():
    from agentci.eval.providers.local import LocalProvider

    judge = LocalProvider(ProviderConfig("local"))
    ctx = Context(
        input="How long do I have to return an item?",
        output="You have 30 days to return it.",
        response=Response(text="x"),
        judge=judge,
        judge_model="smollm2-135m-instruct",
    )
    started = time.perf_counter()
    res = run_assertion(
        parse_spec(
            {
                "type": "g-eval",
                "value": "unused",
                "args": {
                    "evaluation_steps": ["Check that the answer states a return window in days."]
                },
            }
        ),
        ctx,
    )
    took = time.perf_counter() - started
    # Grammar-constrained decoding makes even a 135M judge return a schema-valid verdict.
    assert 0.0 <= res.score <= 1.0
    assert "(judge local:smollm2-135m-instruct)" in res.reason
    print(f"local judge: {took:.1f}s, score {res.score}, {res.reason}")


REPO_FILES = {
    "agentci.yaml": "eval:\n  judge: {provider: openai, name: judge-model, base_url: URL, api_key_env: JUDGE_KEY}\n"
    "  gate: {min_pass_rate: 0.5}\n",
    "agents/bot/agent.yaml": "agent:\n  name: bot\n  model: {provider: openai, name: m, base_url: URL, api_key_env: JUDGE_KEY}\n"
    "  prompt: system_prompt.md\n  knowledge: [../../knowledge]\n",
    "agents/bot/system_prompt.md": "Support bot. ANSWER: You can return items within 30 days.\n",
    "knowledge/returns.md": "Any item can be returned within 30 days of delivery.\n",
    "agents/bot/evals/golden.yaml": (
        "cases:\n"
        "  - id: window\n    input: How long do I have to return an item?\n"
        "    assert: [{type: llm-rubric, value: \"Mentions the '30 days' window\"}, {type: faithfulness}]\n"
        "  - id: refund-speed\n    input: How fast is a refund?\n"
        "    assert: [{type: llm-rubric, value: \"Says '5 business days'\"}]\n"
    ),
}


def test_judged_cases_through_the_cli(stub, tmp_path):
    from tests.conftest import init_repo, run_cli

    for rel, text in REPO_FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text.replace("URL", stub.url))
    init_repo(tmp_path)
    out = tmp_path / "results.json"
    proc = run_cli(
        "eval",
        "--output",
        str(out),
        "--no-cache",
        cwd=tmp_path,
        env={"JUDGE_KEY": "sk-judge"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cases = {c["id"]: c for c in json.loads(out.read_text())["agents"][0]["cases"]}
    window = cases["window"]
    assert window["status"] == "pass"
    assert [a["type"] for a in window["assertions"]] == ["llm-rubric", "faithfulness"]
    assert window["assertions"][1]["reason"].startswith("Faithfulness score 1.00 >= 0.5")
    speed = cases["refund-speed"]
    assert speed["status"] == "fail"
    assert "does not mention 5 business days" in speed["assertions"][0]["reason"]
    assert stub.stats()["completions"] == 2  # the agent's two answers; the rest went to the judge


def test_judge_calls_are_cached_like_case_calls(stub, tmp_path):
    from tests.conftest import init_repo, run_cli

    for rel, text in REPO_FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text.replace("URL", stub.url))
    init_repo(tmp_path)
    env = {"JUDGE_KEY": "sk-judge", "AGENTCI_CACHE_DIR": str(tmp_path / "cache")}
    first = run_cli(
        "eval", "--output", str(tmp_path / "a.json"), cwd=tmp_path, env=env, timeout=120
    )
    assert first.returncode == 0, first.stdout + first.stderr
    after_first = stub.stats()
    assert after_first["judge"] > 0 and after_first["completions"] == 2
    second = run_cli(
        "eval", "--output", str(tmp_path / "b.json"), cwd=tmp_path, env=env, timeout=120
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert stub.stats() == after_first  # nothing changed: no case call and no judge call
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    assert [c["assertions"] for c in a["agents"][0]["cases"]] == [
        c["assertions"] for c in b["agents"][0]["cases"]
    ]
