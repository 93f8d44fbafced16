"""The answer cache: a re-run of unchanged cases makes no request; errors are never cached."""

from __future__ import annotations

import threading
from pathlib import Path

from agentci.eval.cache import Cache
from agentci.eval.engine import EvalOptions
from agentci.eval.providers.base import Response, ToolCall
from tests.eval.conftest import cases_of, evaluate_doc, simple_cases


def test_second_run_is_served_from_cache_and_no_cache_calls_again(stub, eval_env, agent_repo):
    root = agent_repo(cases=simple_cases(6))
    first = evaluate_doc(EvalOptions(root=root, progress=False))
    assert stub.stats()["completions"] == 6
    assert first["totals"]["requests"] == 6 and first["totals"]["cached"] == 0
    assert (Path(eval_env["AGENTCI_CACHE_DIR"])).is_dir()

    second = evaluate_doc(EvalOptions(root=root, progress=False))
    assert stub.stats()["completions"] == 6  # nothing new reached the server
    assert second["totals"]["requests"] == 0 and second["totals"]["cached"] == 6
    assert all(c["cached"] for c in cases_of(second).values())
    assert [c["output"] for c in cases_of(second).values()] == [
        c["output"] for c in cases_of(first).values()
    ]

    evaluate_doc(EvalOptions(root=root, progress=False, no_cache=True))
    assert stub.stats()["completions"] == 12


def test_a_changed_prompt_variable_misses_the_cache(stub, eval_env, agent_repo):
    root = agent_repo(cases=simple_cases(2))
    evaluate_doc(EvalOptions(root=root, progress=False))
    agent_repo(cases=simple_cases(2), variables="{days: 14}")
    data = evaluate_doc(EvalOptions(root=root, progress=False))
    assert stub.stats()["completions"] == 4
    assert data["totals"]["failed"] == 2  # "within 14 days" no longer contains "30 days"


def test_errors_are_not_cached(stub, eval_env, agent_repo):
    root = agent_repo(cases=simple_cases(1, marker="[[fault:500]]"), config="eval: {retries: 0}\n")
    for n in (1, 2):
        data = evaluate_doc(EvalOptions(root=root, progress=False))
        assert data["totals"]["errors"] == 1
        assert stub.stats()["completions"] == n


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path):
    cache = Cache(tmp_path / "c")
    key = "ab" + "0" * 62
    texts = [str(i) * (i * 5000 + 1) for i in range(8)]  # different sizes: a torn write would show
    bad: list[object] = []
    stop = threading.Event()

    def writer(text: str) -> None:
        for _ in range(40):
            cache.put(key, Response(text, (ToolCall("t", {"a": 1}),), 3, 4, 5.0))

    def reader() -> None:
        while not stop.is_set():
            got = cache.get(key)
            if got is not None and (
                got.text not in texts or got.tool_calls[0].arguments != {"a": 1}
            ):
                bad.append(got.text[:20])

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(t,)) for t in texts]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not bad
    hit = cache.get(key)
    assert hit is not None and hit.cached and hit.text in texts
    assert [p.name for p in (tmp_path / "c" / "ab").iterdir()] == [
        key[2:] + ".json"
    ]  # no temp files left


def test_corrupt_entry_reads_as_a_miss(tmp_path):
    cache = Cache(tmp_path)
    key = "cd" + "1" * 62
    cache.put(key, Response("hi"))
    (tmp_path / "cd" / f"{key[2:]}.json").write_text("{not json")
    assert cache.get(key) is None
