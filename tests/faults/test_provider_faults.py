"""Provider faults at scale: 2,000 cases, 20% of them hit a 429, a 500 or a timeout first.

Runs the real CLI against the OpenAI-compatible stand-in on 127.0.0.1 (5 ms latency,
concurrency 64). Every case must be recorded exactly once, the transient faults must be
retried into passes, the permanent ones recorded as errors (not lost, not duplicated),
and the wall time is reported next to the fault-free run of the same set.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from servers.openai_stub import Stub

N = 2000
KINDS = ["429", "500", "hang"]


def _case(i: int) -> tuple[str, str]:
    """(input, kind): every 5th case faults once (20%); every 100th fails every time."""
    if i % 100 == 50:
        return f"[c{i}] What is {i} plus 1? [[fault:500]]", "permanent"
    if i % 5 == 0:
        kind = KINDS[(i // 5) % 3]
        return f"[c{i}] What is {i} plus 1? [[fault:{kind}x1]]", kind
    return f"[c{i}] What is {i} plus 1?", ""


def _repo(root: Path) -> Path:
    d = root / "agents" / "bulk"
    (d / "evals").mkdir(parents=True)
    (d / "system_prompt.md").write_text("Answer with the number only.\n")
    (d / "agent.yaml").write_text(
        "agent:\n  name: bulk\n  model: {provider: openai, name: stub-model, temperature: 0}\n"
        "  prompt: system_prompt.md\n  evals: [evals/golden.jsonl]\n"
    )
    with (d / "evals" / "golden.jsonl").open("w") as f:
        for i in range(N):
            text, _ = _case(i)
            f.write(
                json.dumps(
                    {
                        "id": f"c{i:04d}",
                        "input": text,
                        "expected": str(i + 1),
                        "assert": [{"type": "contains", "value": str(i + 1)}],
                    }
                )
                + "\n"
            )
    (root / "agentci.yaml").write_text("eval:\n  concurrency: 64\n  timeout: 1\n  retries: 4\n")
    return root


def _run(cli, repo: Path, stub: Stub, out: Path) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    stub.state.reset()
    t0 = time.perf_counter()
    proc = cli(
        "eval",
        "--no-cache",
        "--output",
        str(out),
        "--format",
        "json",
        cwd=repo,
        env={"OPENAI_API_KEY": "sk-faults", "OPENAI_BASE_URL": stub.url},
        timeout=120,
    )
    wall = time.perf_counter() - t0
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    return wall, json.loads(out.read_text())


@pytest.fixture
def stub():
    s = Stub(latency_ms=5)
    s.faults(None, retry_after="0", hang_s=3.0)
    yield s
    s.stop()


def test_2000_cases_with_20_percent_faults(tmp_path, cli, stub, record_property):
    clean_repo = _repo(tmp_path / "clean")
    # the fault-free twin: the same cases without markers
    golden = clean_repo / "agents" / "bulk" / "evals" / "golden.jsonl"
    golden.write_text(
        golden.read_text()
        .replace(" [[fault:500]]", "")
        .replace(" [[fault:429x1]]", "")
        .replace(" [[fault:500x1]]", "")
        .replace(" [[fault:hangx1]]", "")
    )
    clean_wall, clean = _run(cli, clean_repo, stub, tmp_path / "clean.json")
    clean_requests = stub.stats().get("completions", 0)

    repo = _repo(tmp_path / "faulty")
    wall, data = _run(cli, repo, stub, tmp_path / "faulty.json")
    stats = stub.stats()

    cases = [c for a in data["agents"] for c in a["cases"]]
    ids = Counter(c["id"] for c in cases)
    assert len(ids) == N and set(ids.values()) == {1}, "every case recorded exactly once"
    by_kind: dict[str, Counter] = {}
    for c in cases:
        _, kind = _case(int(c["id"][1:]))
        by_kind.setdefault(kind, Counter())[c["status"]] += 1
    assert by_kind[""] == Counter({"pass": sum(by_kind[""].values())}), by_kind[""]
    for kind in KINDS:
        assert by_kind[kind]["pass"] == sum(by_kind[kind].values()), (kind, by_kind[kind])
    assert by_kind["permanent"] == Counter({"error": N // 100}), by_kind["permanent"]
    permanent = [c for c in cases if _case(int(c["id"][1:]))[1] == "permanent"]
    assert all(c["error"] for c in permanent), "a failed case says why"
    assert data["totals"]["cases"] == N
    assert data["totals"]["errors"] == N // 100

    transient = sum(1 for i in range(N) if _case(i)[1] in KINDS)
    assert clean_requests == N and clean["totals"]["passed"] == N
    # each transient fault costs exactly one extra request; permanent ones are retried, not looped forever
    assert stats["completions"] >= N + transient
    assert stats["completions"] <= N + transient + (N // 100) * 5
    ratio = wall / clean_wall
    record_property("fault_free_s", round(clean_wall, 2))
    record_property("faulty_s", round(wall, 2))
    print(
        f"\nfaults: {N} cases, {transient} transient + {N // 100} permanent faults: "
        f"{wall:.1f}s vs fault-free {clean_wall:.1f}s (x{ratio:.2f}), {stats['completions']} requests"
    )
    assert wall < 55, "the fault run must stay well inside the suite budget"
