"""`agentci validate` on generated repos of 10 / 100 / 1,000 agents, timed as a user sees it.

Each run is the real CLI in a fresh subprocess (start-up included), median of a few runs,
next to `python -c pass` (interpreter start-up alone) and `python -c "import agentci.cli"`.
Targets: a small repo well under 0.5 s; 1,000 agents under 2 s.

    python -m benchmarks.bench_validate [--sizes 10 100 1000] [--runs 5]

Prints a table and writes benchmarks/results/validate.json. `make_repo(path, n)` is the
generator the combined `python -m benchmarks` run uses too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable


def make_repo(path: Path, n: int) -> None:
    """A repo of n agents, each with prompt, tools, knowledge, a golden set; a swarm over the first few."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "agentci.yaml").write_text('agents: ["agents/*/agent.yaml"]\neval: {concurrency: 4}\n')
    (path / "knowledge").mkdir(exist_ok=True)
    for i in range(n):
        name = f"agent-{i:04d}"
        d = path / "agents" / name
        (d / "evals").mkdir(parents=True, exist_ok=True)
        (d / "agent.yaml").write_text(
            "agent:\n"
            f"  name: {name}\n"
            f"  description: Generated agent number {i}\n"
            "  model: {provider: openai, name: gpt-4o-mini, temperature: 0.2, max_tokens: 512}\n"
            "  prompt: system_prompt.md\n"
            f"  variables: {{company: Acme{i}, topic: topic-{i}, tier: standard}}\n"
            "  tools: tools.json\n"
            "  capabilities: [search, save_note]\n"
            f"  knowledge: [../../knowledge/{name}.md]\n"
            f"  memory_path: /memory/{name}.json\n"
            f"  permissions: {{read: [/knowledge, /inbox/{name}], write: [/out/{name}]}}\n"
            "  secrets: [OPENAI_API_KEY]\n"
            "  evals: [evals/golden.yaml]\n"
        )
        (d / "system_prompt.md").write_text(
            f"You are agent {i} of {{{{ company }}}}, an expert on {{{{ topic }}}}.\n"
            + "Answer briefly and cite the knowledge base when you can.\n" * 20
            + "{% if tier == 'gold' %}Offer priority help.{% endif %}\n"
        )
        tools = [
            {
                "name": "search",
                "description": f"Search the knowledge of agent {i}.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        f"query_{i}": {"type": "string"},
                        "limit": {"type": "integer", "minimum": 1},
                    },
                    "required": [f"query_{i}"],
                },
            },
            {
                "name": "save_note",
                "description": "Save a note.",
                "inputSchema": {
                    "type": "object",
                    "properties": {"text": {"type": "string", "maxLength": 1000 + i}},
                },
            },
        ]
        (d / "tools.json").write_text(json.dumps(tools, indent=2))
        cases = "".join(
            f'  - id: c{j}\n    input: "What is {j} plus {i}?"\n    expected: "{i + j}"\n'
            f'    assert:\n      - {{type: contains, value: "{i + j}"}}\n'
            f'      - {{type: regex, value: "\\\\b{i + j}\\\\b"}}\n'
            for j in range(5)
        )
        (d / "evals" / "golden.yaml").write_text(
            "defaults:\n  threshold: 0.8\n  vars: {tier: standard}\n"
            "  assert: [{type: json-schema, value: {type: object, properties: {answer: {type: string}}}}]\n"
            "cases:\n" + cases
        )
        (path / "knowledge" / f"{name}.md").write_text(
            f"# Agent {i}\n\n" + "Facts about the topic. " * 60 + "\n"
        )
    roles = "".join(
        f"  - {{name: role-{i}, agent: agent-{i:04d}, input_dir: /inbox/agent-{i:04d}, output_dir: /out/agent-{i:04d}}}\n"
        for i in range(min(n, 5))
    )
    # Each role's input is the previous role's output: make the write scopes line up.
    (path / "swarm.yaml").write_text("roles:\n" + roles)
    for i in range(1, min(n, 5)):
        manifest = path / "agents" / f"agent-{i - 1:04d}" / "agent.yaml"
        manifest.write_text(
            manifest.read_text().replace(
                f"write: [/out/agent-{i - 1:04d}]",
                f"write: [/out/agent-{i - 1:04d}, /inbox/agent-{i:04d}]",
            )
        )
    first = path / "agents" / "agent-0000" / "agent.yaml"
    if n and len(roles):
        last = min(n, 5) - 1
        m = path / "agents" / f"agent-{last:04d}" / "agent.yaml"
        m.write_text(
            m.read_text().replace(
                f"write: [/out/agent-{last:04d}]",
                f"write: [/out/agent-{last:04d}, /inbox/agent-0000]",
            )
        )
    assert first.exists() or n == 0


def _time(cmd: list[str], cwd: Path, runs: int) -> tuple[float, float, int]:
    """Median wall seconds and median CPU seconds (user+sys of the child: steadier on a busy machine)."""
    walls, cpus = [], []
    rc = 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        rc = proc.returncode
    return statistics.median(walls), statistics.median(cpus), rc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_validate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument(
        "--runs", type=int, default=5, help="runs per measurement; the median is reported"
    )
    ap.add_argument("--output", default=str(HERE / "results" / "validate.json"))
    args = ap.parse_args(argv)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="agentci-bench-validate-") as tmp:
        work = Path(tmp)
        for label, cmd in (
            ("python -c pass", [PY, "-c", "pass"]),
            ("import agentci.cli", [PY, "-c", "import agentci.cli"]),
        ):
            secs, cpu, rc = _time(cmd, work, args.runs)
            rows.append(
                {
                    "case": label,
                    "agents": 0,
                    "files": 0,
                    "median_s": round(secs, 4),
                    "cpu_s": round(cpu, 4),
                    "rc": rc,
                }
            )
        for n in args.sizes:
            repo = work / f"repo-{n}"
            make_repo(repo, n)
            files = sum(1 for p in repo.rglob("*") if p.is_file())
            cmd = [PY, "-m", "agentci", "validate", str(repo), "--format", "json"]
            secs, cpu, rc = _time(cmd, work, args.runs)
            rows.append(
                {
                    "case": f"validate {n} agents",
                    "agents": n,
                    "files": files,
                    "median_s": round(secs, 4),
                    "cpu_s": round(cpu, 4),
                    "rc": rc,
                }
            )
            shutil.rmtree(repo)
    base = float(rows[0]["median_s"])  # type: ignore[arg-type]
    print(
        f"{'case':<24} {'agents':>6} {'files':>6} {'wall s':>8} {'cpu s':>7} {'x python':>9} {'rc':>3}"
    )
    for r in rows:
        ratio = float(r["median_s"]) / base if base else 0.0  # type: ignore[arg-type]
        r["ratio_to_python"] = round(ratio, 1)
        print(
            f"{r['case']:<24} {r['agents']:>6} {r['files']:>6} {r['median_s']:>8.3f} {r['cpu_s']:>7.3f}"
            f" {ratio:>9.1f} {r['rc']:>3}"
        )
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus (wall times grow with it; cpu times do not)"
    )
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "machine": {
                    "nproc": os.cpu_count(),
                    "python": platform.python_version(),
                    "os": platform.platform(),
                },
                "runs_per_case": args.runs,
                "load_average": round(os.getloadavg()[0], 2),
                "targets": {"small_repo_s": 0.5, "agents_1000_s": 2.0},
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
