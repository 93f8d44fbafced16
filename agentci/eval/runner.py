"""Run jobs (one case on one side: head or base) on one asyncio event loop.

Around each provider call: the cache, in-flight de-duplication (the same request on
base and head is sent once), a per-provider concurrency limit, and retries with
exponential backoff and full jitter on retryable errors, honouring Retry-After.
A failing case becomes a result with status "error"; nothing aborts the run, and
every job yields exactly one result, in the order given.

Worker tasks take jobs in order; `concurrency` of them may wait for an answer at once (a
job gives its slot back before its answer is scored, so scoring overlaps the next wait). The built-in HTTP providers are awaited on
the loop (one kept-alive connection pool, no thread per request); a provider that only
has the synchronous `complete` (a plugin, the embedded model) runs in a thread pool of
`concurrency` threads, and so do the scorers that call a judge or an embedder (they call
back into this loop for their model answers, through `_Routed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from agentci import bounds, heap, redact
from agentci.assertion_types import JUDGED_TYPES
from agentci.errors import AgentciError
from agentci.eval.assertions.base import AssertionResult, Context
from agentci.eval.cache import Cache
from agentci.eval.cases import Case
from agentci.eval.providers.base import Provider, ProviderError, Request, Response, ToolCall
from agentci.eval.scoring import RunScore, combine, score_run
from agentci.retry import RetryPolicy

#: assertions that call a model (the judge, an embedder) while scoring: scored in a thread
_CALLING_TYPES = JUDGED_TYPES | {"similar"}


@dataclass
class Job:
    case: Case
    side: str  # "head" | "base"
    provider: Provider | None
    request: Request | None
    error: str | None = None  # set when the job cannot run (render error, bad set)
    context: list[str] = field(default_factory=list)  # knowledge texts (faithfulness)
    judge: Provider | None = None
    judge_model: str | None = None
    embedder: Provider | None = None
    embedding_model: str | None = None


@dataclass
class CaseResult:
    case: Case
    side: str
    status: str  # pass | fail | error | skipped
    score: float | None = None
    output: str | None = None
    error: str | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached: bool = False
    runs: int = 0
    runs_passed: int = 0
    finish_reason: str | None = None
    refusal: str | None = None
    reasoning_tokens: int | None = None
    cached_input_tokens: int | None = None
    assertions: list[AssertionResult] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunStats:
    requests: int = 0  # attempts sent to providers, retries included
    cached: int = 0  # answers served from the cache
    retries: int = 0


class Runner:
    def __init__(
        self,
        cache: Cache,
        *,
        concurrency: int = 8,
        limits: dict[str, int] | None = None,
        retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_retry_after: float = bounds.DEFAULT_MAX_RETRY_AFTER,
        on_done: Callable[[CaseResult], None] | None = None,
        while_waiting: Callable[[], None] | None = None,
        on_all_sent: Callable[[], None] | None = None,
    ) -> None:
        self.cache = cache
        self.concurrency = max(1, concurrency)
        self.limit_sizes = {name: n for name, n in (limits or {}).items() if n > 0}
        self.retries = max(0, retries)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.retry = RetryPolicy(
            self.retries, backoff_base, backoff_cap, max_retry_after, "eval.max_retry_after"
        )
        self.on_done = on_done
        #: work for a thread once the first requests are out, while their answers are awaited
        #: (the results model is imported, the PR flow compiles its report templates); the
        #: run returns once it is done too; its errors are its own to report
        self.while_waiting = while_waiting
        self._waiting: threading.Thread | None = None
        #: called once on the loop when the last job's request is on its way: what the run
        #: does from then on is wait for answers (the engine makes case records meanwhile);
        #: not called when a job ends before its request (an expired deadline)
        self.on_all_sent = on_all_sent
        self._unsent = 0
        self.stats = RunStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._inflight: dict[str, asyncio.Future[Response]] = {}
        self._scorers: ThreadPoolExecutor | None = None
        self._slots = asyncio.Semaphore(self.concurrency)

    def run(self, jobs: list[Job]) -> list[CaseResult]:
        if not jobs:
            return []
        heap.settle()  # the planned jobs live to the end: out of the collector's sight
        try:
            return asyncio.run(self._run_all(jobs))
        finally:
            if self._waiting is not None:
                self._waiting.join()
                self._waiting = None

    async def _run_all(self, jobs: list[Job]) -> list[CaseResult]:
        self._loop = loop = asyncio.get_running_loop()
        self._limits = {name: asyncio.Semaphore(n) for name, n in self.limit_sizes.items()}
        self._inflight = {}
        workers = min(self.concurrency, len(jobs))
        # `concurrency` answers in flight; twice as many workers, so one is always ready to
        # send while another scores the answer it just got
        self._slots = asyncio.Semaphore(self.concurrency)
        # Threads only for what cannot be awaited, made on first use (an HTTP-only run with
        # plain assertions starts none): sync providers in the loop's default executor,
        # model-calling scorers in their own pool (a scorer waits for a judge answer that
        # may need a provider thread: one shared pool could run out and deadlock).
        loop.set_default_executor(
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="agentci-provider")
        )
        self._scorers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="agentci-score")
        done: list[CaseResult | None] = [None] * len(jobs)
        queue = iter(enumerate(jobs))
        self._unsent = sum(1 for j in jobs if not j.error and j.provider and j.request)

        async def worker() -> None:
            for i, job in queue:
                done[i] = await self._execute(job)

        try:
            gathered = asyncio.gather(*(worker() for _ in range(min(2 * workers, len(jobs)))))
            if self.while_waiting is not None:
                # queued behind every worker's first step: each request has been started
                loop.call_soon(self._start_waiting, self.while_waiting)
            await gathered
        finally:
            for provider in _providers(jobs):
                with contextlib.suppress(Exception):
                    await provider.aclose()
            self._loop = None
            self._scorers.shutdown(wait=False)
        assert all(r is not None for r in done)
        return done  # type: ignore[return-value]

    def _start_waiting(self, work: Callable[[], None]) -> None:
        self._waiting = threading.Thread(
            target=_quietly, args=(work,), name="agentci-while-waiting", daemon=True
        )
        self._waiting.start()

    def _sending(self) -> None:
        self._unsent -= 1
        if self._unsent == 0 and self.on_all_sent is not None and self._loop is not None:
            self._loop.call_soon(_quietly, self.on_all_sent)  # after this step sends

    # -- one job -------------------------------------------------------------------------

    async def _execute(self, job: Job) -> CaseResult:
        try:
            result = await self._run_case(job)
        except Exception as exc:  # never let one case take the run down
            result = CaseResult(
                job.case, job.side, "error", error=f"internal error: {type(exc).__name__}: {exc}"
            )
        result = _redacted_result(result)
        if self.on_done:
            with contextlib.suppress(Exception):
                self.on_done(result)
        return result

    async def _run_case(self, job: Job) -> CaseResult:
        case = job.case
        if job.error or job.provider is None or job.request is None:
            return CaseResult(case, job.side, "error", error=job.error or "nothing to run")
        if bounds.run_expired():
            return CaseResult(
                case, job.side, "error", error=f"not run: {bounds.run_deadline_reason()}"
            )
        runs: list[RunScore] = []
        first: Response | None = None
        latencies: list[float] = []
        all_cached = True
        # scorers that call a model block on it: off the loop, so the loop can answer them
        threaded = any(spec.type in _CALLING_TYPES for spec in case.asserts)
        for n in range(case.repeat):
            key = job.request.cache_key(job.provider.id)
            if n:  # each repetition is its own answer, cached on its own
                key = hashlib.sha256(f"{key}:{n}".encode()).hexdigest()
            try:
                async with self._slots:
                    if n == 0:
                        self._sending()
                    response = await self._fetch(job.provider, job.request, key)
                await asyncio.sleep(0)  # the next job sends its request before this one is scored
            except (ProviderError, AgentciError) as exc:
                return CaseResult(
                    case,
                    job.side,
                    "error",
                    error=str(exc).splitlines()[0],
                    runs=len(runs),
                    output=first.text if first else None,
                )
            first = first or response
            latencies.append(response.latency_ms)
            all_cached = all_cached and response.cached
            ctx = Context(
                input=case.input,
                output=response.text,
                response=response,
                expected=case.expected,
                vars=case.vars,
                context=[*job.context, *case.context],
                judge=_Routed(self, job.judge) if job.judge else None,
                judge_model=job.judge_model,
                embedder=job.embedder,
                embedding_model=job.embedding_model,
            )
            if threaded:
                assert self._loop is not None
                run = await self._loop.run_in_executor(self._scorers, score_run, case, ctx)
            else:
                run = score_run(case, ctx)
            if run.error:
                return CaseResult(
                    case,
                    job.side,
                    "error",
                    output=response.text,
                    runs=len(runs) + 1,
                    error=run.error,
                    assertions=list(run.assertions),
                )
            runs.append(run)
        assert first is not None
        scored = combine(case, runs)
        return CaseResult(
            case,
            job.side,
            "pass" if scored.passed else "fail",
            score=scored.score,
            output=first.text,
            latency_ms=round(sum(latencies) / len(latencies), 1),
            input_tokens=first.input_tokens,
            output_tokens=first.output_tokens,
            cached=all_cached,
            finish_reason=first.finish_reason,
            refusal=first.refusal,
            reasoning_tokens=first.reasoning_tokens,
            cached_input_tokens=first.cached_input_tokens,
            runs=scored.runs,
            runs_passed=scored.runs_passed,
            assertions=scored.assertions,
            tool_calls=[{"name": c.name, "arguments": c.arguments} for c in first.tool_calls],
        )

    # -- one answer ----------------------------------------------------------------------

    async def _fetch(self, provider: Provider, request: Request, key: str) -> Response:
        hit = self.cache.get(key)
        if hit is not None:
            self.stats.cached += 1
            return hit
        pending = self._inflight.get(key)
        if pending is not None:  # the same request is on its way (base and head): share it
            response = await asyncio.shield(pending)
            self.stats.cached += 1
            return dataclasses.replace(response, cached=True)
        assert self._loop is not None
        pending = self._inflight[key] = self._loop.create_future()
        try:
            response = await self._call(provider, request)
        except BaseException as exc:
            pending.set_exception(exc)
            pending.exception()  # retrieved: no "never retrieved" warning when nobody shared it
            del self._inflight[key]
            raise
        self.cache.put(key, response)
        pending.set_result(response)
        del self._inflight[key]
        return response

    async def _call(self, provider: Provider, request: Request) -> Response:
        limit = self._limits.get(provider.name)
        if limit is None and provider.default_concurrency:  # e.g. GitHub Models' free tier
            limit = self._limits.setdefault(
                provider.name, asyncio.Semaphore(provider.default_concurrency)
            )
        attempt = 0
        while True:
            wait = provider.pace()  # the service's rate-limit headers said: slow down now
            if wait > 0:
                await asyncio.sleep(wait)
            async with limit or contextlib.nullcontext():
                self.stats.requests += 1
                try:
                    # Redacted as it arrives: the cache, the scorers and every report see only this.
                    return _redacted_response(await _complete(provider, request))
                except ProviderError as exc:
                    error = exc
            step = self.retry.after_failure(
                attempt, retryable=error.retryable, retry_after=error.retry_after
            )
            if step.wait is None:
                if step.why:
                    raise ProviderError(f"{error}{step.why}") from None
                raise error
            attempt += 1
            self.stats.retries += 1
            await asyncio.sleep(step.wait)


def _quietly(work: Callable[[], None]) -> None:
    """A hook's errors are its own: the run goes on."""
    with contextlib.suppress(Exception):
        work()


async def _complete(provider: Provider, request: Request) -> Response:
    if provider.awaitable():
        return await provider.acomplete(request)
    return await asyncio.get_running_loop().run_in_executor(None, provider.complete, request)


def _providers(jobs: list[Job]) -> list[Provider]:
    seen: dict[int, Provider] = {}
    for job in jobs:
        for p in (job.provider, job.judge, job.embedder):
            if p is not None:
                seen.setdefault(id(p), p)
    return list(seen.values())


def _redacted_response(r: Response) -> Response:
    text = redact.text(r.text)
    if text is r.text and not r.tool_calls:  # nothing replaced (the common case): no copy
        return r
    calls = tuple(ToolCall(redact.text(c.name), redact.scrub(c.arguments)) for c in r.tool_calls)
    return dataclasses.replace(r, text=text, tool_calls=calls)


def _redacted_result(r: CaseResult) -> CaseResult:
    r.output = redact.text(r.output) if r.output else r.output
    r.error = redact.text(r.error) if r.error else r.error
    r.assertions = [
        a
        if (reason := redact.text(a.reason)) is a.reason
        else dataclasses.replace(a, reason=reason)
        for a in r.assertions
    ]
    if r.tool_calls:
        r.tool_calls = redact.scrub(r.tool_calls)
    return r


class _Routed(Provider):
    """A provider seen through the runner, so judge calls get what case calls get: the
    disk cache (an unchanged judged case costs no call on a re-run), in-run dedupe,
    retries with backoff and the per-provider limit."""

    def __init__(self, runner: Runner, inner: Provider) -> None:
        super().__init__(inner.config)
        self.runner = runner
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]  # reports show the real provider
        self.supports_tools = inner.supports_tools  # type: ignore[misc]

    @property
    def id(self) -> str:
        return self.inner.id

    def complete(self, request: Request) -> Response:
        """Called by a scorer in a worker thread: the answer comes from the runner's loop."""
        loop = self.runner._loop
        if loop is None:
            raise ProviderError("the judge was called outside the eval run")
        fetch = self.runner._fetch(self.inner, request, request.cache_key(self.inner.id))
        return asyncio.run_coroutine_threadsafe(fetch, loop).result()

    def forget(self, request: Request) -> None:
        """Drop a cached answer its reader could not use (an unparseable judge verdict)."""
        self.runner.cache.forget(request.cache_key(self.inner.id))

    def embed(self, texts: list[str], model: str | None = None) -> list[list[float]]:
        return self.inner.embed(texts, model)
