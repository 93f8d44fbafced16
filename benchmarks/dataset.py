"""One workload in every tool's form: cases.jsonl (+ promptfoo and deepeval files) and an agentci repo.

The peer forms come from ../shared/bench/make_dataset.py unchanged; `agentci_repo`
turns the same cases.jsonl into an agentci repository: one agent per group of cases,
provider openai (OPENAI_BASE_URL points at the loopback server), one `contains`
assertion per case, so every tool asks the same questions and checks the same thing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from benchmarks.harness import PY, SHARED_BENCH

MODEL = "bench-model"


def peer_dataset(n: int, out: Path, base_url: str) -> list[dict[str, Any]]:
    """Write cases.jsonl, promptfooconfig.yaml and deepeval_eval.py for `n` cases."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            PY,
            str(SHARED_BENCH / "make_dataset.py"),
            "-n",
            str(n),
            "--out",
            str(out),
            "--base-url",
            base_url,
            "--model",
            MODEL,
        ],
        check=True,
        capture_output=True,
    )
    return read_cases(out / "cases.jsonl")


def read_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _q(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar


def write_agent(
    repo: Path,
    name: str,
    cases: list[dict[str, Any]],
    prompt: str = "You answer questions.",
    fmt: str = "yaml",
) -> None:
    """One agent with `cases` as its golden set: YAML (the usual form), or JSONL (`fmt`),
    the form the floor client and large sets use."""
    d = repo / "agents" / name
    (d / "evals").mkdir(parents=True, exist_ok=True)
    (d / "system_prompt.md").write_text(prompt + "\n")
    (d / "agent.yaml").write_text(
        "agent:\n"
        f"  name: {name}\n"
        "  description: benchmark agent\n"
        f"  model: {{provider: openai, name: {MODEL}, temperature: 0}}\n"
        "  prompt: system_prompt.md\n"
        f"  evals: [evals/golden.{fmt}]\n"
    )
    if fmt == "jsonl":
        rows = [
            {
                "id": c["id"],
                "input": c["input"],
                "expected": c["expected"],
                "threshold": 1.0,
                "assert": [{"type": "contains", "value": c["expected"]}],
            }
            for c in cases
        ]
        text = "".join(json.dumps(r) + "\n" for r in rows)
        (d / "evals" / "golden.jsonl").write_text(text)
        return
    lines = ["defaults:", "  threshold: 1.0", "cases:"]
    for c in cases:
        lines += [
            f"  - id: {_q(c['id'])}",
            f"    input: {_q(c['input'])}",
            f"    expected: {_q(c['expected'])}",
            "    assert:",
            f"      - {{type: contains, value: {_q(c['expected'])}}}",
        ]
    (d / "evals" / "golden.yaml").write_text("\n".join(lines) + "\n")


def agentci_repo(
    cases: list[dict[str, Any]], out: Path, agents: int = 1, config: str = "", fmt: str = "yaml"
) -> Path:
    """An agentci repo holding `cases` split evenly over `agents` agents (bench-000, ...)."""
    out.mkdir(parents=True, exist_ok=True)
    per = max(1, -(-len(cases) // agents))
    for i in range(agents):
        write_agent(out, f"bench-{i:03d}", cases[i * per : (i + 1) * per], fmt=fmt)
    if config:
        (out / "agentci.yaml").write_text(config)
    return out


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": str(repo),
    }
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


if __name__ == "__main__":  # python -m benchmarks.dataset CASES.jsonl OUT [AGENTS]
    import sys

    agentci_repo(
        read_cases(Path(sys.argv[1])),
        Path(sys.argv[2]),
        int(sys.argv[3]) if len(sys.argv) > 3 else 1,
    )
