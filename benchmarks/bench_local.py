"""The embedded model side by side: agentci's engine vs plain llama-cpp-python loops, one process.

Same model file, same prompts (the bundled support-bot's 8 golden cases, rendered as agentci
renders them), same settings (temperature 0, max_tokens 64, n_ctx 2048, the same thread count),
alternating within each repetition so machine load hits every contender alike:

- `plain`: a sequential `create_chat_completion` loop, as anyone would write it. llama-cpp-python
  reuses the KV cache of the previous prompt's common prefix, so an answer depends on which case
  ran just before it.
- `plain+reset`: the same loop with `reset()` before each case: order-independent answers (what
  agentci's provider did before the engine).
- `engine sN`: agentci.eval.providers.local_batch with N slots, the 8 cases submitted from 8
  threads at once (as the runner's pool does).

Reports wall time and process CPU time per contender (medians over --reps), cases/s and the
ratios, and whether the engine's answers were identical across slot counts and orders.

    python benchmarks/bench_local.py [--reps 3] [--slots 1,4,8] [--threads 1]
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
    ap.add_argument("--slots", default="1,4,8")
    ap.add_argument(
        "--threads", type=int, default=0, help="llama.cpp threads (0: agentci's choice)"
    )
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    if a.threads:
        os.environ["AGENTCI_LOCAL_THREADS"] = str(a.threads)
    threads = local._threads()
    msgs = example_messages()
    llm = local.load_model()
    local.load_engine()  # the chat formatters
    engines = {
        int(s): Engine(llm, n_ctx=local.N_CTX, slots=int(s), threads=threads)
        for s in a.slots.split(",")
    }

    def plain(reset: bool) -> list[str]:
        answers = []
        for m in msgs:
            if reset:
                llm.reset()
            out = llm.create_chat_completion(messages=m, temperature=0, max_tokens=MAX_TOKENS)
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
            ("plain", lambda: plain(False)),
            ("plain+reset", lambda: plain(True)),
        ]
        for s, eng in engines.items():
            order = list(range(len(msgs)))
            random.Random(rep * 100 + s).shuffle(order)
            contenders.append((f"engine s{s}", lambda eng=eng, order=order: engine(eng, order)))
        if rep % 2:
            contenders.reverse()
        for name, fn in contenders:
            out, wall, cpu = timed(fn)
            rows.setdefault(name, []).append((wall, cpu))
            answers.setdefault(name, []).append(out)
            print(
                f"rep {rep} {name:12} wall {wall:6.2f} s  cpu {cpu:6.2f} s",
                file=sys.stderr,
                flush=True,
            )
    n = len(msgs)
    med = {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in rows.items()
    }
    engine_answers = [ans for k, v in answers.items() if k.startswith("engine") for ans in v]
    result = {
        "cases": n,
        "threads": threads,
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
        "plain+reset_matches_engine": sum(
            x == y for x, y in zip(answers["plain+reset"][0], engine_answers[0], strict=True)
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
