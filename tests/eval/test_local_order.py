"""The embedded model's answer to a case does not depend on which cases ran before or beside it.

The bundled example through the real CLI, twice, without the cache: once as written with 4
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

import yaml

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
