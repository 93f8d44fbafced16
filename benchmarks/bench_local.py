"""The embedded model side by side: agentci's engine vs plain llama-cpp-python loops.

Same model file, same prompts (the bundled support-bot's 8 golden cases, rendered as agentci
renders them), same settings (temperature 0, max_tokens 64, n_ctx 2048). Every contender runs
in a fresh process of its own, one repetition each, contenders alternating within each
repetition (order reversed every other one) so machine load hits them alike; the time is the
cases' loop (the model file's load is not counted, for anyone):

- `plain`: a sequential `create_chat_completion` loop over `Llama(model_path, n_ctx=2048)` with
  llama-cpp-python's defaults (n_threads = cores // 2, n_threads_batch = cores) and the
  environment as a user has it (no OMP_* / GOMP_* set: libgomp's own waits), as anyone would
  write it. llama-cpp-python reuses the KV cache of the previous prompt's common prefix, so an
  answer depends on which case ran just before it.
- `plain tN`: the same loop with N threads for both (`--plain-threads`, default: agentci's):
  the plain loop tuned.
- `plain+reset` (`--with-reset`): `reset()` before each case, order-independent answers (what
  agentci's provider did before the engine).
- `engine sS tN`: agentci.eval.providers.local_batch with S slots and N threads, the 8 cases
  submitted at once in a shuffled order, with the barrier waits agentci chooses
  (`local._thread_waits`: a short spin when a core is idle, passive otherwise; reported).

Reports wall and process CPU time (medians over --reps), cases/s, the tokens each contender
decoded, ratios to `plain`, and whether the engine's answers were identical across slot
counts, thread counts and orders. Greedy answers can differ in the last bits between a plain
loop (a prompt in one batch) and the engine (the system turn in fixed blocks), so a case may
stop earlier or later and the contenders need not decode the same number of tokens; with
`--fixed-length` every case decodes exactly max_tokens (end-of-generation tokens masked, in
the plain loops through `logit_bias`), so all contenders do the same work.

    python benchmarks/bench_local.py [--reps 3] [--slots 4,8] [--threads 1,2] [--fixed-length]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentci.eval.providers import local  # noqa: E402
from agentci.eval.providers.local_batch import Engine  # noqa: E402

MAX_TOKENS = 64


def example_messages() -> list[list[dict[str, str]]]:
    """The example's cases as agentci's planner renders them (real repo load, real templates)."""
    from agentci.eval.plan import PlanOptions, Providers, plan_agent
    from agentci.repo import load_repo
    from agentci.source import WorkTree

    repo = load_repo(WorkTree(ROOT / "examples" / "support-bot"))
    agent = repo.agents[0]
    providers = Providers(timeout=60, pool=1, policy=None)
    try:
        plan = plan_agent(
            repo, agent, "head", providers, PlanOptions(None, False, None, None), None
        )
    finally:
        providers.close()
    return [
        [{"role": m.role, "content": m.content} for m in j.request.messages]
        for j in plan.jobs
        if j.request
    ]


def timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _eog_ids(llm: Any) -> list[int]:
    from llama_cpp import llama_cpp as C

    vocab = C.llama_model_get_vocab(llm._model.model)
    return [t for t in range(int(llm.n_vocab())) if C.llama_vocab_is_eog(vocab, t)]


class _FixedLength(Engine):
    """The engine with end-of-generation tokens masked (`--fixed-length`): every case decodes
    max_tokens, the same work as the plain loop under `logit_bias`."""

    eog: ClassVar[list[int]] = []

    def _argmax(self, row: int) -> int:
        import numpy as np

        logits = np.ctypeslib.as_array(
            self._C.llama_get_logits_ith(self._ctx, row), shape=(self._n_vocab,)
        ).copy()
        logits[self.eog] = -np.inf
        return int(np.argmax(logits))


def one(name: str, seed: int, fixed: bool = False) -> dict[str, Any]:
    """Run contender `name` once in this (fresh) process: its answers, the tokens it decoded,
    wall and CPU time."""
    msgs = example_messages()
    decoded: list[int] = []
    if name.startswith("engine"):
        s, t = (int(w[1:]) for w in name.split()[1:])
        waits = local._thread_waits()
        llm = local.load_model()  # agentci's instance: the engine's weights, chat formatters
        local.load_engine()
        kind = Engine
        if fixed:
            kind = _FixedLength
            _FixedLength.eog = _eog_ids(llm)
        eng = kind(llm, n_ctx=local.N_CTX, slots=s, threads=t)
        order = list(range(len(msgs)))
        random.Random(seed).shuffle(order)
        prompts = [local._prompt(llm, msgs[i]) for i in order]

        def run() -> list[str]:
            futures = eng.submit([(tokens, n, MAX_TOKENS) for tokens, n in prompts])
            done = {}
            for i, f in zip(order, futures, strict=True):
                decoded.append(len(f.result()))
                done[i] = llm.detokenize(f.result()).decode("utf-8", "ignore").strip()
            return [done[i] for i in range(len(msgs))]
    else:
        from llama_cpp import Llama

        waits = "libgomp default"
        threads = int(name.split()[1][1:]) if name.startswith("plain t") else None
        kwargs = {"n_threads": threads, "n_threads_batch": threads} if threads else {}
        model = Llama(model_path=str(local.gguf_path()), n_ctx=local.N_CTX, verbose=False, **kwargs)
        bias = {t: -1e9 for t in _eog_ids(model)} if fixed else None

        def run() -> list[str]:
            answers = []
            for m in msgs:
                if name == "plain+reset":
                    model.reset()
                out = model.create_chat_completion(
                    messages=m, temperature=0, max_tokens=MAX_TOKENS, logit_bias=bias
                )
                decoded.append(int(out["usage"]["completion_tokens"]))
                answers.append((out["choices"][0]["message"]["content"] or "").strip())
            return answers

    answers, wall, cpu = timed(run)
    return {"answers": answers, "tokens": sum(decoded), "wall": wall, "cpu": cpu, "waits": waits}


def _spawn(name: str, seed: int, fixed: bool) -> dict[str, Any]:
    env = dict(os.environ)
    for var in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):  # as a user has it; agentci chooses its own
        env.pop(var, None)
    proc = subprocess.run(
        [sys.executable, __file__, "--one", name, "--seed", str(seed)]
        + (["--fixed-length"] if fixed else []),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{name}: exit {proc.returncode}: {proc.stderr[-800:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--slots", default=str(local.DEFAULT_SLOTS), help="engine slot counts")
    ap.add_argument("--threads", default="", help="engine thread counts (default: agentci's)")
    ap.add_argument("--plain-threads", default="", help="thread counts for `plain tN` loops")
    ap.add_argument("--with-reset", action="store_true", help="also the plain loop with reset()")
    ap.add_argument(
        "--fixed-length",
        action="store_true",
        help="every case decodes max_tokens (end-of-generation masked): equal work for all",
    )
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--one", help=argparse.SUPPRESS)  # a contender, in its own process
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.seed, a.fixed_length)))
        return
    default_threads = local._threads()
    names = ["plain"] + [
        f"plain t{t}" for t in (a.plain_threads or str(default_threads)).split(",")
    ]
    if a.with_reset:
        names.append("plain+reset")
    names += [
        f"engine s{s} t{t}"
        for s in a.slots.split(",")
        for t in (a.threads or str(default_threads)).split(",")
    ]
    rows: dict[str, list[tuple[float, float]]] = {}
    answers: dict[str, list[list[str]]] = {}
    tokens: dict[str, set[int]] = {}
    waits: dict[str, set[str]] = {}
    load = []
    for rep in range(a.reps):
        load.append(os.getloadavg()[0])
        order = names[::-1] if rep % 2 else names
        for k, name in enumerate(order):
            got = _spawn(name, rep * 100 + k, a.fixed_length)
            rows.setdefault(name, []).append((got["wall"], got["cpu"]))
            answers.setdefault(name, []).append(got["answers"])
            tokens.setdefault(name, set()).add(got["tokens"])
            waits.setdefault(name, set()).add(got["waits"])
            print(
                f"rep {rep} {name:14} wall {got['wall']:6.2f} s  cpu {got['cpu']:6.2f} s"
                f"  tokens {got['tokens']}"
                f"  waits: {got['waits']}",
                file=sys.stderr,
                flush=True,
            )
    load.append(os.getloadavg()[0])
    n = len(example_messages())
    med = {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in rows.items()
    }
    engine_answers = [ans for k, v in answers.items() if k.startswith("engine") for ans in v]
    result: dict[str, Any] = {
        "cases": n,
        "fixed_length": a.fixed_length,
        "decoded_tokens": {k: sorted(v) for k, v in tokens.items()},
        "default_threads": default_threads,
        "waits": {k: sorted(v) for k, v in waits.items()},
        "reps": a.reps,
        "cores": os.cpu_count(),
        "load_avg": [round(x, 1) for x in load],
        "median": {
            k: {
                "wall_s": round(w, 2),
                "cpu_s": round(c, 2),
                "cases_per_s": round(n / w, 3),
                "cases_per_cpu_s": round(n / c, 3),
            }
            for k, (w, c) in med.items()
        },
        "engine_answers_identical": all(x == engine_answers[0] for x in engine_answers),
        "plain_matches_engine": sum(
            x == y for x, y in zip(answers["plain"][0], engine_answers[0], strict=True)
        ),
    }
    base_w, base_c = med["plain"]
    result["speedup_vs_plain"] = {
        k: {"wall": round(base_w / w, 2), "cpu": round(base_c / c, 2)} for k, (w, c) in med.items()
    }
    print(json.dumps(result, indent=1))
    if a.out:
        a.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
