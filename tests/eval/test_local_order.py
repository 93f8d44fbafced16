"""The embedded model's answer to a case does not depend on which cases ran before or beside it.

In-process: the example's 8 prompts through agentci's engine in three orders, with 1, 3 and 8
sequences per batch and 1 and 2 threads; each configuration computes its prompt prefixes afresh
(so the gold tier's prefix is once derived from the standard one and once computed first), and
with 8 sequences the cases still running are moved to lower sequences as others finish.
Through the CLI: the bundled example, without the cache: once as written with 4
sequences decoded together, once reversed with the gold-tier case (its own system prompt) first,
3 slots and a different concurrency (so each case has other neighbours in its batch, and a
different prompt prefix is computed first). Every answer must be byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agentci.eval.providers import local
from agentci.eval.providers.local_batch import Engine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "support-bot"


def _run(repo: Path, tmp: Path, name: str, *, slots: int, concurrency: int) -> dict[str, str]:
    out = tmp / f"{name}.json"
    env = {
        **os.environ,
        "AGENTCI_CACHE_DIR": str(tmp / "cache"),
        "AGENTCI_LOCAL_SLOTS": str(slots),
        "CI": "true",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentci",
            "eval",
            "--no-cache",
            "--concurrency",
            str(concurrency),
            "--output",
            str(out),
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode in (0, 1), proc.stderr
    cases = json.loads(out.read_text())["agents"][0]["cases"]
    return {c["id"]: c["output"] for c in cases}


def test_answers_do_not_depend_on_order_or_neighbours(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(".agentci"))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    first = _run(repo, tmp_path, "as-written", slots=4, concurrency=4)

    golden = repo / "agents" / "support-bot" / "evals" / "golden.yaml"
    doc = yaml.safe_load(golden.read_text())
    # reversed, with the gold-tier case (a different system prompt: its own prefix) first, so the
    # first prefix computed differs from the first run's
    cases = doc["cases"][::-1]
    gold = next(i for i, c in enumerate(cases) if c["id"] == "gold-shipping")
    doc["cases"] = [cases[gold], *cases[:gold], *cases[gold + 1 :]]
    golden.write_text(yaml.safe_dump(doc, sort_keys=False))
    second = _run(repo, tmp_path, "reversed", slots=3, concurrency=8)

    assert list(second) != list(first) and sorted(second) == sorted(
        first
    )  # the order really changed
    assert len(first) == 8 and all(first.values())
    assert second == first


def _example_prompts() -> list[tuple[list[int], int]]:
    """The example's cases as agentci renders them (real repo load, real templates)."""
    from agentci.eval.plan import PlanOptions, Providers, plan_agent
    from agentci.repo import load_repo
    from agentci.source import WorkTree

    repo = load_repo(WorkTree(EXAMPLE))
    providers = Providers(timeout=60, pool=1, policy=None)
    try:
        plan = plan_agent(
            repo, repo.agents[0], "head", providers, PlanOptions(None, False, None, None), None
        )
    finally:
        providers.close()
    llm = local.load_model()
    local.load_engine()  # the chat formatters
    return [
        local._prompt(llm, [{"role": m.role, "content": m.content} for m in job.request.messages])
        for job in plan.jobs
        if job.request
    ]


@pytest.mark.parametrize(
    ("slots", "threads", "order"),
    [
        (3, 1, "reversed"),
        (8, 1, "gold-first"),
        (1, 2, "reversed"),
        (8, 2, "gold-first"),
        (8, 1, "interleaved"),
    ],
)
def test_engine_answers_match_one_case_at_a_time(slots, threads, order, example_answers):
    prompts, alone = example_answers
    n = len(prompts)
    gold = next(
        i for i, (p, k) in enumerate(prompts) if k != prompts[0][1] or p[:k] != prompts[0][0][:k]
    )
    orders = {
        "reversed": list(range(n))[::-1],
        "gold-first": [gold, *(i for i in range(n) if i != gold)],
        "interleaved": [*range(0, n, 2), *range(1, n, 2)],
    }
    engine = Engine(local.load_model(), n_ctx=local.N_CTX, slots=slots, threads=threads)
    try:
        futures = engine.submit([(prompts[i][0], prompts[i][1], 64) for i in orders[order]])
        answers = dict(zip(orders[order], (f.result(timeout=600) for f in futures), strict=True))
    finally:
        engine.close()
    assert [answers[i] for i in range(n)] == alone
    if slots == n:  # all 8 start together: the ones left running were moved down, unchanged
        assert engine.moves > 0


@pytest.fixture(scope="module")
def example_answers() -> tuple[list[tuple[list[int], int]], list[list[int]]]:
    """The reference: each case alone (1 slot, 1 thread), in the example's order."""
    prompts = _example_prompts()
    assert len(prompts) == 8 and len({k for _, k in prompts}) == 2  # the gold tier's own prefix
    engine = Engine(local.load_model(), n_ctx=local.N_CTX, slots=1, threads=1)
    try:
        alone = [engine.generate(p, k, 64) for p, k in prompts]
    finally:
        engine.close()
    assert all(alone)
    return prompts, alone
