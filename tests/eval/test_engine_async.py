"""The asyncio engine with providers that only have the synchronous `complete` (plugins, the
embedded model): they run in threads, a subclass's own `complete` is what gets called, and a
scorer that waits for a synchronous judge cannot starve the threads that judge needs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from agentci.eval.assertions.registry import parse_spec
from agentci.eval.cache import Cache
from agentci.eval.cases import Case
from agentci.eval.providers.base import Message, Provider, ProviderConfig, Request, Response
from agentci.eval.providers.openai import OpenAIProvider
from agentci.eval.runner import CaseResult, Job, Runner


class Echo(Provider):
    """A plugin as third parties write one: synchronous, no HTTP."""

    name = "echo"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.threads: set[str] = set()

    def complete(self, request: Request) -> Response:
        self.threads.add(threading.current_thread().name)
        text = request.messages[-1].content
        return Response(text="yes" if "Judge" in text else f"echo: {text}")


class Wrapped(OpenAIProvider):
    """A plugin that subclasses a built-in and overrides `complete` (no network at all)."""

    def complete(self, request: Request) -> Response:
        return Response(text=f"wrapped: {request.messages[-1].content}")


def _job(i: int, provider: Provider, asserts: list[dict], judge: Provider | None = None) -> Job:
    case = Case(
        "a",
        "evals/golden.yaml",
        f"c{i}",
        i + 1,
        f"q{i}",
        asserts=tuple(parse_spec(a) for a in asserts),
    )
    request = Request("m", (Message("user", f"q{i}"),))
    return Job(case, "head", provider, request, judge=judge, judge_model="j")


def _run(runner: Runner, jobs: list[Job], timeout: float = 30) -> list[CaseResult]:
    """runner.run on a thread: a deadlock fails the test instead of hanging the suite."""
    out: list[list[CaseResult]] = []
    t = threading.Thread(target=lambda: out.append(runner.run(jobs)), daemon=True)
    t.start()
    t.join(timeout)
    assert out, f"the run did not finish within {timeout} s (deadlock?)"
    return out[0]


def test_sync_judge_at_concurrency_1_does_not_starve(tmp_path: Path) -> None:
    provider = Echo(ProviderConfig("echo"))
    judge = Echo(ProviderConfig("echo"))
    rubric = {
        "type": "llm-choice",
        "value": "Judge: {{completion}}",
        "args": {"choices": [{"choice": "yes", "score": 1}, {"choice": "no", "score": 0}]},
    }
    jobs = [_job(i, provider, [rubric], judge=judge) for i in range(6)]
    results = _run(Runner(Cache(tmp_path, enabled=False), concurrency=1), jobs)
    assert [r.status for r in results] == ["pass"] * 6, [r.error for r in results]
    # both the case calls and the judge's ran in threads, not on the event loop
    assert all(n.startswith("agentci-provider") for n in provider.threads | judge.threads)


def test_a_subclass_overriding_complete_is_called(tmp_path: Path) -> None:
    # base_url points nowhere: OpenAIProvider.acomplete would fail to connect
    wrapped = Wrapped(ProviderConfig("openai", base_url="http://127.0.0.1:9/v1"))
    jobs = [_job(i, wrapped, [{"type": "contains", "value": f"wrapped: q{i}"}]) for i in range(3)]
    results = _run(Runner(Cache(tmp_path, enabled=False), concurrency=2), jobs)
    assert [r.status for r in results] == ["pass"] * 3, [r.error for r in results]
    assert not Wrapped(ProviderConfig("openai")).awaitable()
    assert OpenAIProvider(ProviderConfig("openai")).awaitable()


def test_every_job_one_result_in_order_with_concurrency_above_jobs(tmp_path: Path) -> None:
    provider = Echo(ProviderConfig("echo"))
    jobs = [_job(i, provider, [{"type": "contains", "value": f"q{i}"}]) for i in range(5)]
    results = _run(Runner(Cache(tmp_path, enabled=False), concurrency=64), jobs)
    assert [r.case.id for r in results] == [f"c{i}" for i in range(5)]
    assert [r.status for r in results] == ["pass"] * 5


class Held(Provider):
    """Answers only once released: the run cannot end before `while_waiting` has run."""

    name = "held"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.asked = threading.Event()
        self.released = threading.Event()

    def complete(self, request: Request) -> Response:
        self.asked.set()
        assert self.released.wait(20), "while_waiting never ran"
        return Response(text="ok")


def test_while_waiting_runs_on_its_own_thread_while_the_requests_are_out(tmp_path: Path) -> None:
    provider = Held(ProviderConfig("held"))
    seen: list[tuple[str, bool]] = []

    def while_waiting() -> None:
        seen.append((threading.current_thread().name, provider.asked.wait(20)))
        provider.released.set()

    jobs = [_job(i, provider, [{"type": "contains", "value": "ok"}]) for i in range(5)]
    runner = Runner(Cache(tmp_path, enabled=False), concurrency=2, while_waiting=while_waiting)
    results = _run(runner, jobs)
    assert [r.status for r in results] == ["pass"] * 5, [r.error for r in results]
    assert seen == [("agentci-while-waiting", True)]  # once, with a request out


def test_a_failing_while_waiting_does_not_touch_the_run(tmp_path: Path) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    provider = Echo(ProviderConfig("echo"))
    jobs = [_job(i, provider, [{"type": "contains", "value": "echo"}]) for i in range(3)]
    results = _run(Runner(Cache(tmp_path, enabled=False), while_waiting=broken), jobs)
    assert [r.status for r in results] == ["pass"] * 3


def test_the_run_returns_once_while_waiting_is_done(tmp_path: Path) -> None:
    """What the hook prepares (the results model, report templates) is there when the run
    returns, however fast the answers came."""
    finished: list[float] = []

    def slow() -> None:
        time.sleep(0.3)
        finished.append(time.monotonic())

    provider = Echo(ProviderConfig("echo"))
    jobs = [_job(i, provider, [{"type": "contains", "value": "echo"}]) for i in range(3)]
    _run(Runner(Cache(tmp_path, enabled=False), while_waiting=slow), jobs)
    returned = time.monotonic()
    assert finished and finished[0] <= returned


def test_the_key_header_follows_the_variable(monkeypatch) -> None:
    """The header dict is reused across requests, never across keys."""
    provider = OpenAIProvider(ProviderConfig("openai", base_url="http://127.0.0.1:9/v1"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-first")
    first = provider._headers()
    assert first == {"Authorization": "Bearer sk-first"} and provider._headers() is first
    monkeypatch.setenv("OPENAI_API_KEY", "sk-second")
    assert provider._headers() == {"Authorization": "Bearer sk-second"}


class Gate(Provider):
    """Answers a request only once `open` is set; counts the requests it was sent."""

    name = "gate"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.sent = 0
        self.lock = threading.Lock()
        self.open = threading.Event()

    def complete(self, request: Request) -> Response:
        with self.lock:
            self.sent += 1
        assert self.open.wait(20)
        return Response(text="ok")


def test_on_all_sent_comes_once_when_the_last_request_is_out(tmp_path: Path) -> None:
    provider = Gate(ProviderConfig("gate"))
    calls: list[tuple[int, int]] = []
    finished: list[CaseResult] = []

    def all_sent() -> None:
        time.sleep(0.2)  # the last request reaches the provider's thread meanwhile
        with provider.lock:
            calls.append((provider.sent, len(finished)))
        provider.open.set()

    jobs = [_job(i, provider, [{"type": "contains", "value": "ok"}]) for i in range(7)]
    broken = Job(jobs[0].case, "head", None, None, error="a bad set")  # never sends
    runner = Runner(
        Cache(tmp_path, enabled=False),
        concurrency=7,
        on_done=finished.append,
        on_all_sent=all_sent,
    )
    results = _run(runner, [*jobs, broken])
    assert [r.status for r in results] == ["pass"] * 7 + ["error"]
    # once, with all seven requests out and none of their answers in
    assert calls == [(7, 1)]
