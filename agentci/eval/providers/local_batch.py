"""Greedy decoding for the embedded model: the shared prefix evaluated once, sequences decoded together.

What makes it fast (benchmarks/bench_local.py measures each against a plain llama-cpp-python loop):

- **The system turn is evaluated once.** A case's prompt is split into its system turn (the
  prefix: the rendered system prompt, the same for every case of an agent) and the rest. The
  prefix's KV cells are computed once, saved (`llama_state_seq_get_data`) and copied into each
  case's sequence (`llama_state_seq_set_data`); only the user turn is evaluated per case.
- **Concurrent cases share a decode step.** Every case has its own sequence (its own KV stream,
  `kv_unified = false`); each step decodes the next token of all active sequences in one
  `llama_decode`, and a case joins as soon as a slot is free (continuous batching).

Why answers do not depend on which cases ran before or beside one: every case takes exactly the
same path whatever else runs (its stream cleared, the prefix state restored into it, even on the
first use right after computing it, then its own user turn evaluated alone), so its KV cells and
positions are a function of the case alone; a decode step only batches independent rows (one
token per stream, attention within the stream). tests/eval/test_local_order.py runs the example
in different orders and slot counts and compares the answers byte for byte.
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
        self._worker = threading.Thread(target=self._loop, name="agentci-local-model", daemon=True)
        self._worker.start()

    # -- API -------------------------------------------------------------------------------

    def generate(self, prompt: list[int], prefix_len: int, max_tokens: int) -> list[int]:
        """The greedy continuation of `prompt` (EOG excluded); blocks until done."""
        if len(prompt) >= self.n_ctx:
            # worded as llama-cpp-python words it for the sampled path
            raise EngineError(
                f"Requested tokens ({len(prompt)}) exceed context window of {self.n_ctx}"
            )
        job = _Job(
            list(prompt),
            max(0, min(prefix_len, len(prompt) - 1)),
            max(1, min(max_tokens, self.n_ctx - len(prompt))),
        )
        with self._wake:
            if self._closed:
                raise EngineError("the local model was closed")
            self._queue.append(job)
            self._wake.notify()
        return job.future.result()

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
        """One llama_decode (split only past n_batch): the new cases' user turns and the next
        token of every case already decoding."""
        for seq, job in list(admitted.items()):
            try:
                self._restore_prefix(seq, job, admitted)
            except Exception as exc:
                job.future.set_exception(exc)
                del admitted[seq]
        rows: list[tuple[int, int, int, bool]] = []
        for seq, job in admitted.items():
            suffix = job.prompt[job.prefix_len :]
            rows += [(t, job.prefix_len + i, seq, i == len(suffix) - 1) for i, t in enumerate(suffix)]
            job.pos = len(job.prompt)
            active[seq] = job
        stepping = [s for s in sorted(active) if s not in admitted]
        rows += [(active[s].out[-1], active[s].pos, s, True) for s in stepping]
        for seq, token in zip([*admitted, *stepping], self._run(rows), strict=True):
            job = active[seq]
            if seq not in admitted:
                job.pos += 1
            job.out.append(token)
            self._retire_if_done(seq, active)

    def _restore_prefix(self, seq: int, job: _Job, admitted: dict[int, _Job]) -> None:
        """Clear the case's stream and restore its system turn's KV state into it.

        A prefix seen for the first time is evaluated alone in this stream and saved, then
        restored like every later use, so the first case takes the same path as the rest.
        """
        C = self._C
        C.llama_memory_seq_rm(self._mem, seq, -1, -1)
        prefix = tuple(job.prompt[: job.prefix_len])
        if not prefix:
            return
        state = self._prefixes.get(prefix)
        if state is None:
            self._run([(t, i, seq, False) for i, t in enumerate(prefix)])
            size = C.llama_state_seq_get_size(self._ctx, seq)
            state = (ctypes.c_uint8 * size)()
            C.llama_state_seq_get_data(self._ctx, state, size, seq)
            self._remember(prefix, state)
            C.llama_memory_seq_rm(self._mem, seq, -1, -1)
        else:
            self._prefixes.move_to_end(prefix)
        if C.llama_state_seq_set_data(self._ctx, state, len(state), seq) == 0:
            raise EngineError("llama.cpp could not restore the prompt prefix")

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
