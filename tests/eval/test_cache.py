"""The answer cache: a re-run of unchanged cases makes no request; errors are never cached."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from agentci.cachedb import FILE
from agentci.eval.cache import KIND, Cache
from agentci.eval.engine import EvalOptions
from agentci.eval.providers.base import Response, ToolCall
from tests.conftest import git, init_repo
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
    cache.close()
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [FILE]  # one file, WAL folded in


_WRITER = """
import sys
from pathlib import Path
from agentci.cachedb import FILE
from agentci.eval.cache import KIND, Cache
from agentci.eval.providers.base import Response
cache = Cache(Path(sys.argv[1]))
me = sys.argv[2]
for i in range(150):
    cache.put(f"{me}-{i}", Response(f"answer {me} {i}"))
    cache.put("shared", Response(me * 1000))
"""


def test_parallel_processes_share_one_cache(tmp_path):
    """Matrix jobs on one runner (or restored from one actions/cache entry) write at once."""
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path / "c"), name])
        for name in ("x", "y", "z")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    cache = Cache(tmp_path / "c")
    for name in ("x", "y", "z"):
        got = [cache.get(f"{name}-{i}") for i in range(150)]
        assert [g.text if g else None for g in got] == [f"answer {name} {i}" for i in range(150)]
    shared = cache.get("shared")
    assert shared is not None and shared.text in ("x" * 1000, "y" * 1000, "z" * 1000)


def test_a_corrupt_entry_reads_as_a_miss(tmp_path):
    cache = Cache(tmp_path)
    key = "cd" + "1" * 62
    cache.put(key, Response("hi"))
    cache._store.put(KIND, key, b"{not json")
    assert cache.get(key) is None
    cache._store.put(KIND, key, b'{"v": 99, "text": "from the future"}')
    assert cache.get(key) is None


def test_a_corrupt_database_is_started_again(tmp_path):
    (tmp_path / FILE).write_bytes(b"not a database at all" * 100)
    cache = Cache(tmp_path)
    assert cache.get("k") is None
    cache.put("k", Response("hi"))
    assert Cache(tmp_path).get("k").text == "hi"


def test_an_unwritable_cache_never_fails_a_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    cache = Cache(blocker / "cache")
    cache.put("k", Response("hi"))
    assert cache.get("k") is None


def test_empty_answers_are_not_cached(tmp_path):
    cache = Cache(tmp_path)
    cache.put("k", Response("  \n"))
    assert cache.get("k") is None
    cache.put("k", Response("", (ToolCall("t", {}),)))
    assert cache.get("k") is not None  # a tool call is an answer


def test_a_tracked_database_is_never_opened(tmp_path):
    """AGENTCI_CACHE_DIR inside the checkout: a committed database (or a WAL / journal SQLite
    would replay into it) is ignored, read and write."""
    root = tmp_path / "repo"
    (root / "cache").mkdir(parents=True)
    planter = Cache(root / "cache")
    planter.put("k", Response("planted"))
    planter.close()
    (root / "README.md").write_text("x\n")
    init_repo(root)
    assert git(root, "ls-files", "cache") == f"cache/{FILE}"
    cache = Cache(root / "cache")
    assert cache.get("k") is None
    cache.put("k2", Response("new"))
    assert cache.get("k2") is None

    other = tmp_path / "repo2"
    (other / "cache").mkdir(parents=True)
    (other / "cache" / f"{FILE}-wal").write_bytes(b"planted wal")
    init_repo(other)
    assert Cache(other / "cache").get("k") is None
    assert not (other / "cache" / FILE).exists()  # never opened, so never created

    # Untracked, the same folder is used as usual.
    fresh = tmp_path / "repo3"
    (fresh / "cache").mkdir(parents=True)
    (fresh / "README.md").write_text("x\n")
    init_repo(fresh)
    Cache(fresh / "cache").put("k", Response("mine"))
    assert Cache(fresh / "cache").get("k").text == "mine"
    later = Cache(fresh / "not-yet" / "cache")  # made by the first write, inside a work tree
    later.put("k", Response("new"))
    assert later.get("k").text == "new"


def test_cache_keys_are_those_earlier_versions_wrote() -> None:
    """A cache restored by actions/cache from an older agentci still answers: the key is the
    SHA-256 of the request as `json.dumps(..., sort_keys=True, ensure_ascii=False)` writes it."""
    import hashlib
    import json

    from agentci.eval.providers.base import Message, Request

    request = Request(
        "gpt-4o-mini",
        (Message("system", "Be brief. Ünïcode ✓"), Message("user", "2+2?")),
        {"temperature": 0, "max_tokens": 64, "seed": 7},
        ({"name": "lookup", "inputSchema": {"type": "object", "b": 1, "a": 2}},),
    )
    text = json.dumps(
        {
            "provider": "openai:https://api.openai.com/v1",
            "model": "gpt-4o-mini",
            "messages": [["system", "Be brief. Ünïcode ✓"], ["user", "2+2?"]],
            "params": {"temperature": 0, "max_tokens": 64, "seed": 7},
            "tools": [{"name": "lookup", "inputSchema": {"type": "object", "b": 1, "a": 2}}],
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert request.cache_key("openai:https://api.openai.com/v1") == expected
