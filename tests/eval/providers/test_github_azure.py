"""`provider: github` (GitHub Models) and `provider: azure` (classic deployments) against
loopback stand-ins that follow the services' docs (tests/servers/github_models_stub.py,
azure_stub.py); the Azure v1 endpoint through `provider: openai`."""

from __future__ import annotations

import pytest

from agentci.errors import AgentciError
from agentci.eval.engine import EvalOptions
from agentci.eval.providers import registry
from agentci.eval.providers.base import ProviderConfig
from tests.eval.conftest import cases_of, evaluate_doc, simple_cases
from tests.servers import azure_stub, github_models_stub


@pytest.fixture
def github():
    s = github_models_stub.start(api_key="ghs_test", latency_ms=50)
    yield s
    s.stop()


@pytest.fixture
def azure(monkeypatch):
    s = azure_stub.start(api_key="az-key")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", s.root)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az-key")
    yield s
    s.stop()


def test_github_models_end_to_end(github, eval_env, agent_repo, monkeypatch):
    monkeypatch.setenv("GH_MODELS_TOKEN", "ghs_test")
    model = f"{{provider: github, name: openai/gpt-4o-mini, base_url: '{github.root}/inference', api_key_env: GH_MODELS_TOKEN, max_tokens: 64}}"
    root = agent_repo(model=model, cases=simple_cases(6), config="eval: {concurrency: 6}\n")
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert {c["status"] for c in cases_of(data).values()} == {"pass"}
    stats = github.stats()
    assert stats["completions"] == 6 and stats["accept:application/vnd.github+json"] == 6
    # the free tier allows 2 concurrent requests on high-tier models: the default limit
    assert github.state.peak_in_flight <= 2
    sent = [e["params"] for e in github.log() if e["kind"] == "completions"]
    assert all(
        p["model"] == "openai/gpt-4o-mini" and p["max_completion_tokens"] == 64 for p in sent
    )


def test_github_token_goes_only_to_github(github, eval_env, agent_repo, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    model = f"{{provider: github, name: openai/gpt-4o-mini, base_url: '{github.root}/inference'}}"
    root = agent_repo(model=model, cases=simple_cases(1))
    data = evaluate_doc(EvalOptions(root=root, progress=False, skip_missing_keys=True))
    # A loopback endpoint is still called, but without the token (the stand-in demands it: 401).
    (refused,) = data["trust"]["refused"]
    assert "GITHUB_TOKEN is not a model key" in refused["reason"] and refused["keyless"]
    assert "HTTP 401" in cases_of(data)["c00"]["error"]


def test_github_default_endpoint_takes_github_token(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_x")
    provider = registry.create(ProviderConfig("github"))
    assert provider.api_key() == "ghs_x"
    assert (
        provider._chat_url("openai/gpt-4o-mini")
        == "https://models.github.ai/inference/chat/completions"
    )
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(AgentciError, match="GITHUB_TOKEN is not set"):
        provider.api_key()


def test_github_spent_daily_quota_is_one_clear_error(eval_env, agent_repo, monkeypatch):
    stub = github_models_stub.start(api_key="ghs_test", quota=1)
    try:
        monkeypatch.setenv("GH_MODELS_TOKEN", "ghs_test")
        model = f"{{provider: github, name: openai/gpt-4o-mini, base_url: '{stub.root}/inference', api_key_env: GH_MODELS_TOKEN}}"
        root = agent_repo(model=model, cases=simple_cases(2), config="eval: {concurrency: 1}\n")
        data = evaluate_doc(EvalOptions(root=root, progress=False))
    finally:
        stub.stop()
    got = cases_of(data)
    assert got["c00"]["status"] == "pass"
    assert (
        "HTTP 429: Rate limit of 50 per 86400s exceeded for UserByModelByDay."
        in got["c01"]["error"]
    )
    assert (
        "more than the 60 s agentci waits (eval.max_retry_after)" in got["c01"]["error"]
        and data["totals"]["requests"] == 2
    )


def test_azure_classic_deployment_path(azure, eval_env, agent_repo):
    root = agent_repo(
        model="{provider: azure, name: o4-mini, temperature: 0.2, max_tokens: 300}",
        cases=simple_cases(2),
    )
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert {c["status"] for c in cases_of(data).values()} == {"pass"}
    stats = azure.stats()
    assert (
        stats["azure_classic"] == 2
        and stats["api-version=2024-10-21"] == 2
        and "rejected" not in stats
    )


def test_azure_api_version_and_unknown_deployment(azure, eval_env, agent_repo):
    root = agent_repo(
        model="{provider: azure, name: gpt-4o-mini, api_version: 2025-04-01-preview}",
        cases=simple_cases(1),
    )
    evaluate_doc(EvalOptions(root=root, progress=False))
    assert azure.stats()["api-version=2025-04-01-preview"] == 1
    root = agent_repo(model="{provider: azure, name: gpt-5-prod}", cases=simple_cases(1))
    case = cases_of(evaluate_doc(EvalOptions(root=root, progress=False)))["c00"]
    assert (
        case["status"] == "error"
        and "HTTP 404: The API deployment for this resource does not exist." in case["error"]
    )


def test_azure_wrong_key_and_missing_endpoint(azure, eval_env, agent_repo, monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "wrong")
    root = agent_repo(model="{provider: azure, name: gpt-4o-mini}", cases=simple_cases(1))
    case = cases_of(evaluate_doc(EvalOptions(root=root, progress=False)))["c00"]
    assert (
        case["status"] == "error"
        and "HTTP 401: Access denied due to invalid subscription key" in case["error"]
    )
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT")
    case = cases_of(evaluate_doc(EvalOptions(root=root, progress=False, no_cache=True)))["c00"]
    assert case["status"] == "error" and "needs the resource endpoint" in case["error"]


def test_azure_v1_through_the_openai_provider(azure, eval_env, agent_repo):
    model = f"{{provider: openai, name: gpt-4o-mini, base_url: '{azure.root}/openai/v1', api_key_env: AZURE_OPENAI_API_KEY, max_tokens: 50}}"
    root = agent_repo(model=model, cases=simple_cases(1))
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert cases_of(data)["c00"]["status"] == "pass" and azure.stats()["azure_v1"] == 1
    (sent,) = [e["params"] for e in azure.log() if e["kind"] == "completions"]
    assert sent["max_completion_tokens"] == 50  # v1 knows the new name
