"""The judge asks for structure the API enforces: OpenAI-compatible `response_format:
json_schema`, Anthropic a forced tool; and the adapter matches the deepeval it is pinned to."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from agentci.eval.assertions.base import Context
from agentci.eval.assertions.registry import parse_spec, run_assertion
from agentci.eval.providers.anthropic import AnthropicProvider
from agentci.eval.providers.base import ProviderConfig, Response
from agentci.eval.providers.openai import OpenAIProvider
from tests.servers.anthropic_stub import start as start_anthropic
from tests.servers.judge_stub import judge_stub

ROOT = Path(__file__).resolve().parents[3]
RUBRIC = {"type": "llm-rubric", "value": "Mentions the '30 days' window"}


def _judged(judge, output):
    ctx = Context(
        input="How long do I have to return an item?",
        output=output,
        response=Response(text=output),
        judge=judge,
        judge_model="judge-model",
    )
    try:
        return run_assertion(parse_spec(RUBRIC), ctx)
    finally:
        judge.close()


def test_openai_judge_sends_response_format_json_schema(monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", "k")
    with judge_stub(api_key="k") as stub:
        res = _judged(
            OpenAIProvider(ProviderConfig("openai", base_url=stub.url, api_key_env="JUDGE_KEY")),
            "You have 30 days.",
        )
        sent = [e["params"] for e in stub.log() if e["kind"] == "judge"]
    assert res.passed and len(sent) == 2
    for params in sent:
        fmt = params["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is False
        assert fmt["json_schema"]["schema"]["type"] == "object"  # deepeval's pydantic schema
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", fmt["json_schema"]["name"])


def test_anthropic_judge_forces_the_answer_tool(monkeypatch):
    stub = start_anthropic(api_key="sk-ant")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    try:
        ok = _judged(
            AnthropicProvider(ProviderConfig("anthropic", base_url=stub.root)), "You have 30 days."
        )
        bad = _judged(
            AnthropicProvider(ProviderConfig("anthropic", base_url=stub.root)), "Ask support."
        )
        sent = [e["params"] for e in stub.log() if e["kind"] == "messages"]
    finally:
        stub.stop()
    assert ok.passed and ok.score == 0.9
    assert not bad.passed and bad.score == pytest.approx(0.2)
    assert all(p["tool_choice"] == {"type": "tool", "name": "answer"} for p in sent)
    assert all(
        p["tools"][-1]["name"] == "answer" and p["tools"][-1]["input_schema"]["type"] == "object"
        for p in sent
    )


def test_deepeval_is_pinned_to_the_api_the_adapter_uses():
    pin = re.search(r'"deepeval([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert pin == ">=4.3.1,<4.4"
    major, minor, *_ = (int(x) for x in re.findall(r"\d+", version("deepeval"))[:3])
    assert (major, minor) == (4, 3)

    from deepeval.models import DeepEvalBaseLLM
    from deepeval.test_case import SingleTurnParams  # renamed in 4.x; judged.py imports it

    from agentci.eval.judge import _judge_class

    adapter = _judge_class()
    abstract = getattr(DeepEvalBaseLLM, "__abstractmethods__", frozenset())
    assert abstract <= set(vars(adapter)), abstract - set(vars(adapter))
    for name in ("generate", "a_generate"):  # deepeval calls model.generate(prompt, schema=...)
        assert "schema" in inspect.signature(getattr(DeepEvalBaseLLM, name)).parameters or any(
            p.kind is p.VAR_KEYWORD
            for p in inspect.signature(getattr(DeepEvalBaseLLM, name)).parameters.values()
        )
    from deepeval.metrics import AnswerRelevancyMetric

    assert "eval_mode" in inspect.signature(AnswerRelevancyMetric.__init__).parameters
    assert SingleTurnParams.ACTUAL_OUTPUT
