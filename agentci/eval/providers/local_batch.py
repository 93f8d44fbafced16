"""Greedy decoding for the embedded model: the shared prefix evaluated once, sequences decoded together.

What makes it fast (benchmarks/bench_local.py measures it against a plain llama-cpp-python loop):

- **The system turn is evaluated once.** A case's prompt is split into its system turn (the
  prefix: the rendered system prompt, the same for every case of an agent) and the rest. The
  prefix's KV cells are computed once, saved (`llama_state_seq_get_data`) and restored into each
  case's sequence (`llama_state_seq_set_data`); only the user turn is evaluated per case. A new
  prefix that starts like one already computed (the same template, other variables) restores
  that one, drops the cells past the last whole 32-token block they share and evaluates only
  the rest (prefixes are always evaluated in blocks at fixed positions, so the cells match).
  Not `llama_memory_seq_cp`: with a KV stream per sequence, a cross-stream copy copies the whole
  stream buffer (n_ctx cells per layer; llama.cpp src/llama-kv-cache.cpp, `seq_cp`: "cross-stream
  sequence copies require to copy the actual buffer data"), where the saved state holds only the
  prefix's cells, and any number of prefixes can be kept without holding a sequence each.
- **Concurrent cases share a decode step.** Every case has its own sequence (its own KV stream,
  `kv_unified = false`); each step decodes the next token of all active cases in one
  `llama_decode`, and a case joins as soon as a slot is free (continuous batching). A step
  costs by the span of sequence ids it touches, so when cases finish and nothing waits, the
  running ones are moved down into the lowest sequences (`_compact`; measured on the
  example with 8 slots: a 3-case step 29 ms spread over sequences 0-6, 23 ms in 0-2).
- **Threads** are chosen in agentci.eval.providers.local (`_threads`, `_thread_waits`).

Why answers do not depend on which cases ran before or beside one: a case's stream is cleared,
its prefix state restored (even on first use, right after computing it), then its own user turn
evaluated alone in fixed chunks, so its KV cells and positions are a function of the case alone.
Prompts are never batched with other cases' prompts: llama.cpp splits a batch into ubatches by
what is in it, and a prompt's cells come out different in the last bits when its tokens are
split differently (tried: a prefix's last tokens evaluated apart from the rest flipped answers).
A decode step holds one token per sequence, and
everything in it is row-wise: a weight matrix times one token's activations gives the same
numbers whichever rows share the batch, attention reads only the case's own stream, and the
thread count only changes which thread computes a row. tests/eval/test_local_order.py
checks it byte for byte: the example's prompts in three orders with 1, 3 and 8 sequences per
batch and 1 and 2 threads against each case alone, and the example twice through the CLI.
"""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict, deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

#: the prefix states kept (LRU), in bytes: ~23 kB per token for SmolLM2-135M, so a 200-token
#: system prompt is ~4.6 MB and this holds a dozen agents' prompts
PREFIX_CACHE_BYTES = 64 * 1024 * 1024
#: a prompt prefix is evaluated in blocks of this many tokens at fixed positions, the unit in
#: which prefixes that start alike share their cells
PREFIX_BLOCK = 32
#: tokens per llama_decode when evaluating a prompt (llama.cpp's n_batch)
N_BATCH = 512


class EngineError(Exception):
    pass


@dataclass
class _Job:
    prompt: list[int]
    prefix_len: int
    max_tokens: int
    future: Future[list[int]] = field(default_factory=Future)
    out: list[int] = field(default_factory=list)
    pos: int = 0


class Engine:
    """One llama.cpp context with `slots` sequences, driven by one worker thread."""

    def __init__(self, model: Any, *, n_ctx: int, slots: int, threads: int) -> None:
        from llama_cpp import llama_cpp as C

        self._C = C
        self.n_ctx = n_ctx
        self.slots = max(1, slots)
        params = C.llama_context_default_params()
        params.n_ctx = n_ctx * self.slots
        params.n_batch = params.n_ubatch = N_BATCH
        params.n_seq_max = self.slots
        params.kv_unified = False  # a stream per sequence: a case's cells never depend on another's
        params.n_threads = params.n_threads_batch = threads
        self._model = model  # the Llama object: keeps the weights alive
        self._ctx = C.llama_init_from_model(model._model.model, params)
        if not self._ctx:
            raise EngineError("llama.cpp could not create a context for the local model")
        self._mem = C.llama_get_memory(self._ctx)
        self._vocab = C.llama_model_get_vocab(model._model.model)
        self._n_vocab = int(model.n_vocab())
        self._batch = C.llama_batch_init(max(N_BATCH, self.slots), 0, 1)
        self._prefixes: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self._prefix_bytes = 0
        self._queue: deque[_Job] = deque()
        self._wake = threading.Condition()
        self._closed = False
        #: cases moved to a lower sequence (`_compact`), for the curious and the tests
        self.moves = 0
        self._worker = threading.Thread(target=self._loop, name="agentci-local-model", daemon=True)
        self._worker.start()

    # -- API -------------------------------------------------------------------------------

    def generate(self, prompt: list[int], prefix_len: int, max_tokens: int) -> list[int]:
        """The greedy continuation of `prompt` (EOG excluded); blocks until done.

        Thread-safe: the runner's worker threads call it at once, and the cases in flight
        share decode steps.
        """
        return self.submit([(prompt, prefix_len, max_tokens)])[0].result()

    def submit(self, requests: list[tuple[list[int], int, int]]) -> list[Future[list[int]]]:
        """Queue (prompt, prefix_len, max_tokens) requests, in this order, without waiting: the
        batch API for a caller that holds many cases (an asyncio runner can await
        `asyncio.wrap_future` on each). A request that cannot run fails its own future."""
        jobs: list[_Job] = []
        for prompt, prefix_len, max_tokens in requests:
            job = _Job(
                list(prompt),
                max(0, min(prefix_len, len(prompt) - 1)),
                max(1, min(max_tokens, self.n_ctx - len(prompt))),
            )
            if not prompt or len(prompt) >= self.n_ctx:
                # worded as llama-cpp-python words it for the sampled path
                job.future.set_exception(
                    EngineError(
                        f"Requested tokens ({len(prompt)}) exceed context window of {self.n_ctx}"
                        if prompt
                        else "empty prompt"
                    )
                )
            jobs.append(job)
        with self._wake:
            if self._closed:
                raise EngineError("the local model was closed")
            self._queue.extend(j for j in jobs if not j.future.done())
            self._wake.notify()
        return [j.future for j in jobs]

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._worker.join(timeout=30)
        C = self._C
        C.llama_batch_free(self._batch)
        C.llama_free(self._ctx)
        self._ctx = None

    # -- the worker ------------------------------------------------------------------------

    def _loop(self) -> None:
        active: dict[int, _Job] = {}
        while True:
            with self._wake:
                while not self._queue and not active and not self._closed:
                    self._wake.wait()
                if self._closed:
                    for job in [*active.values(), *self._queue]:
                        job.future.set_exception(EngineError("the local model was closed"))
                    return
                admitted: dict[int, _Job] = {}
                free = (s for s in range(self.slots) if s not in active)
                while self._queue and len(active) + len(admitted) < self.slots:
                    admitted[next(free)] = self._queue.popleft()
            try:
                self._advance(admitted, active)
            except Exception as exc:
                for seq, job in [*admitted.items(), *active.items()]:
                    if not job.future.done():
                        job.future.set_exception(exc)
                    active.pop(seq, None)

    def _advance(self, admitted: dict[int, _Job], active: dict[int, _Job]) -> None:
        """Start the cases that just got a sequence (each prompt its own llama_decode), then
        decode one token of every case that was already running, all in one llama_decode."""
        stepping = sorted(active)
        for seq, job in admitted.items():
            # Alone, never batched with other cases' prompts: llama.cpp splits a batch into
            # ubatches by what else is in it, and a prompt split differently gets different
            # cells (last bits), so its answer would depend on its neighbours.
            try:
                self._restore_prefix(seq, job)
                suffix = job.prompt[job.prefix_len :]
                (token,) = self._run(
                    [
                        (t, job.prefix_len + i, seq, i == len(suffix) - 1)
                        for i, t in enumerate(suffix)
                    ]
                )
            except Exception as exc:
                job.future.set_exception(exc)
                continue
            job.pos = len(job.prompt)
            job.out.append(token)
            active[seq] = job
            self._retire_if_done(seq, active)
        if not stepping:
            return
        # one token per sequence: each row's numbers are the same whatever its neighbours
        picked = self._run([(active[s].out[-1], active[s].pos, s, True) for s in stepping])
        for seq, token in zip(stepping, picked, strict=True):
            job = active[seq]
            job.pos += 1
            job.out.append(token)
            self._retire_if_done(seq, active)
        if not self._queue:  # nothing will fill the holes the finished cases left
            self._compact(active)

    def _compact(self, active: dict[int, _Job]) -> None:
        """Move the running cases into the lowest sequences. A decode step costs by the span
        of sequence ids it touches, not by how many are running (llama.cpp views the KV
        streams from the lowest to the highest: 2 cases in sequences 0 and 3 cost what 4 in
        0-3 cost), so the tail of a run, with cases finishing here and there, keeps its
        steps narrow. A move copies the case's cells as they are (`llama_state_seq_get_data`,
        as the prefix states travel), so its answer does not change."""
        C = self._C
        while active:
            high = max(active)
            low = next((s for s in range(high) if s not in active), None)
            if low is None:  # 0..high all running: nothing to close up
                return
            size = C.llama_state_seq_get_size(self._ctx, high)
            state = (ctypes.c_uint8 * size)()
            C.llama_state_seq_get_data(self._ctx, state, size, high)
            C.llama_memory_seq_rm(self._mem, low, -1, -1)
            if C.llama_state_seq_set_data(self._ctx, state, size, low) == 0:
                raise EngineError("llama.cpp could not move a sequence")
            C.llama_memory_seq_rm(self._mem, high, -1, -1)
            active[low] = active.pop(high)
            self.moves += 1

    def _restore_prefix(self, seq: int, job: _Job) -> None:
        """Clear the case's stream and restore its system turn's KV state into it.

        A prefix seen for the first time is evaluated in this stream and saved, then restored
        like every later use, so the first case takes the same path as the rest. It is evaluated
        in PREFIX_BLOCK-token blocks at fixed positions, so when it starts like a prefix already
        computed (the same template, other variables) the blocks they share are taken from that
        one's state: those cells came from the same tokens in the same blocks.
        """
        C = self._C
        C.llama_memory_seq_rm(self._mem, seq, -1, -1)
        prefix = tuple(job.prompt[: job.prefix_len])
        if not prefix:
            return
        state = self._prefixes.get(prefix)
        if state is None:
            shared, start = self._longest_shared(prefix)
            if shared is not None:
                if C.llama_state_seq_set_data(self._ctx, shared, len(shared), seq) == 0:
                    raise EngineError("llama.cpp could not restore the prompt prefix")
                C.llama_memory_seq_rm(self._mem, seq, start, -1)
            for pos in range(start, len(prefix), PREFIX_BLOCK):
                block = prefix[pos : pos + PREFIX_BLOCK]
                self._run([(t, pos + i, seq, False) for i, t in enumerate(block)])
            size = C.llama_state_seq_get_size(self._ctx, seq)
            state = (ctypes.c_uint8 * size)()
            C.llama_state_seq_get_data(self._ctx, state, size, seq)
            self._remember(prefix, state)
            C.llama_memory_seq_rm(self._mem, seq, -1, -1)
        else:
            self._prefixes.move_to_end(prefix)
        if C.llama_state_seq_set_data(self._ctx, state, len(state), seq) == 0:
            raise EngineError("llama.cpp could not restore the prompt prefix")

    def _longest_shared(self, prefix: tuple[int, ...]) -> tuple[Any, int]:
        """The cached prefix state sharing the most whole PREFIX_BLOCKs with `prefix`, and how
        many tokens those blocks hold (a block ending exactly at `prefix`'s end excluded, so at
        least one token is evaluated)."""
        best, best_len = None, 0
        for other, state in self._prefixes.items():
            n = 0
            for a, b in zip(other, prefix, strict=False):
                if a != b:
                    break
                n += 1
            n = min(n, len(prefix) - 1) // PREFIX_BLOCK * PREFIX_BLOCK
            if n > best_len:
                best, best_len = state, n
        return best, best_len

    def _retire_if_done(self, seq: int, active: dict[int, _Job]) -> None:
        job = active[seq]
        if self._C.llama_vocab_is_eog(self._vocab, job.out[-1]):
            job.out.pop()
        elif len(job.out) < job.max_tokens:
            return
        del active[seq]
        job.future.set_result(job.out)

    def _run(self, rows: list[tuple[int, int, int, bool]]) -> list[int]:
        """Decode `rows` (token, position, sequence, wants logits) in chunks of n_batch; the
        greedy next token of each row that wants logits, in order."""
        picked: list[int] = []
        for start in range(0, len(rows), N_BATCH):
            chunk = rows[start : start + N_BATCH]
            b = self._batch
            b.n_tokens = len(chunk)
            for i, (token, pos, seq, logits) in enumerate(chunk):
                b.token[i] = token
                b.pos[i] = pos
                b.n_seq_id[i] = 1
                b.seq_id[i][0] = seq
                b.logits[i] = logits
            rc = self._C.llama_decode(self._ctx, b)
            if rc != 0:
                raise EngineError(f"llama_decode failed (code {rc})")
            picked += [self._argmax(i) for i, row in enumerate(chunk) if row[3]]
        return picked

    def _argmax(self, row: int) -> int:
        import numpy as np

        logits = np.ctypeslib.as_array(
            self._C.llama_get_logits_ith(self._ctx, row), shape=(self._n_vocab,)
        )
        return int(np.argmax(logits))

    def _remember(self, prefix: tuple[int, ...], state: Any) -> None:
        self._prefixes[prefix] = state
        self._prefix_bytes += len(state)
        while self._prefix_bytes > PREFIX_CACHE_BYTES and len(self._prefixes) > 1:
            _, old = self._prefixes.popitem(last=False)
            self._prefix_bytes -= len(old)
