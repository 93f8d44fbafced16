"""The embedded model side by side: agentci's engine vs plain llama-cpp-python loops, one process.

Same model file, same prompts (the bundled support-bot's 8 golden cases, rendered as agentci
renders them), same settings (temperature 0, max_tokens 64, n_ctx 2048), contenders alternating
within each repetition (order reversed every other one) so machine load hits them alike:

- `plain`: a sequential `create_chat_completion` loop over `Llama(model_path, n_ctx=2048)` with
  llama-cpp-python's defaults (n_threads = cores // 2, n_threads_batch = cores), as anyone would
  write it. llama-cpp-python reuses the KV cache of the previous prompt's common prefix, so an
  answer depends on which case ran just before it.
- `plain tN`: the same loop with N threads for both (`--plain-threads`, default: agentci's).
- `plain+reset` (`--with-reset`): `reset()` before each case, order-independent answers (what
  agentci's provider did before the engine).
- `engine sS tN`: agentci.eval.providers.local_batch with S slots and N threads, the 8 cases
  submitted from 8 threads at once (as the runner's pool does), in a shuffled order.

Every contender runs in this process, so all share agentci's OpenMP wait policy
(OMP_WAIT_POLICY=PASSIVE unless set). Reports wall and process CPU time (medians over --reps),
cases/s, ratios to `plain`, and whether the engine's answers were identical across slot counts,
thread counts and orders.

    python benchmarks/bench_local.py [--reps 3] [--slots 4,8] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--slots", default=str(local.DEFAULT_SLOTS), help="engine slot counts")
    ap.add_argument("--threads", default="", help="engine thread counts (default: agentci's)")
    ap.add_argument("--plain-threads", default="", help="thread counts for `plain tN` loops")
    ap.add_argument("--with-reset", action="store_true", help="also the plain loop with reset()")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    default_threads = local._threads()
    msgs = example_messages()
    llm = local.load_model()  # agentci's instance: the engine's weights, the chat formatters
    local.load_engine()
    from llama_cpp import Llama

    def plain_llama(threads: int | None) -> Any:
        kwargs = {"n_threads": threads, "n_threads_batch": threads} if threads else {}
        return Llama(model_path=str(local.gguf_path()), n_ctx=local.N_CTX, verbose=False, **kwargs)

    plains = {"plain": plain_llama(None)}
    for t in (a.plain_threads or str(default_threads)).split(","):
        plains[f"plain t{t}"] = plain_llama(int(t))
    engines = {
        f"engine s{s} t{t}": Engine(llm, n_ctx=local.N_CTX, slots=int(s), threads=int(t))
        for s in a.slots.split(",")
        for t in (a.threads or str(default_threads)).split(",")
    }

    def plain(model: Any, reset: bool) -> list[str]:
        answers = []
        for m in msgs:
            if reset:
                model.reset()
            out = model.create_chat_completion(messages=m, temperature=0, max_tokens=MAX_TOKENS)
            answers.append((out["choices"][0]["message"]["content"] or "").strip())
        return answers

    def engine(eng: Engine, order: list[int]) -> list[str]:
        eng._prefixes.clear()  # each repetition pays for its prefixes, like a fresh process

        def one(i: int) -> tuple[int, str]:
            tokens, prefix_len = local._prompt(llm, msgs[i])
            return i, llm.detokenize(eng.generate(tokens, prefix_len, MAX_TOKENS)).decode(
                "utf-8", "ignore"
            ).strip()

        with ThreadPoolExecutor(len(order)) as pool:
            done = dict(pool.map(one, order))
        return [done[i] for i in range(len(msgs))]

    rows: dict[str, list[tuple[float, float]]] = {}
    answers: dict[str, list[list[str]]] = {}
    load = []
    for rep in range(a.reps):
        load.append(os.getloadavg()[0])
        contenders: list[tuple[str, Any]] = [
            (name, lambda model=model: plain(model, False)) for name, model in plains.items()
        ]
        if a.with_reset:
            contenders.append(("plain+reset", lambda: plain(plains["plain"], True)))
        for k, (name, eng) in enumerate(engines.items()):
            order = list(range(len(msgs)))
            random.Random(rep * 100 + k).shuffle(order)
            contenders.append((name, lambda eng=eng, order=order: engine(eng, order)))
        if rep % 2:
            contenders.reverse()
        for name, fn in contenders:
            out, wall, cpu = timed(fn)
            rows.setdefault(name, []).append((wall, cpu))
            answers.setdefault(name, []).append(out)
            print(
                f"rep {rep} {name:14} wall {wall:6.2f} s  cpu {cpu:6.2f} s",
                file=sys.stderr,
                flush=True,
            )
    load.append(os.getloadavg()[0])
    n = len(msgs)
    med = {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in rows.items()
    }
    engine_answers = [ans for k, v in answers.items() if k.startswith("engine") for ans in v]
    result: dict[str, Any] = {
        "cases": n,
        "default_threads": default_threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
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
