"""Process start-up time of each command: `agentci <cmd> --help` and a real small run."""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

from benchmarks import dataset, peers
from benchmarks.harness import PY, ROOT, LatencyServer, Run, base_env, measure

COMMANDS = ["validate", "eval", "report", "diff", "deploy", "status", "ci"]


def _best(
    server: LatencyServer | None,
    run: Run,
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    logs: Path,
    reps: int,
) -> Run:
    """Median of `reps` runs (start-up times are small and noisy)."""
    walls, rss = [], []
    for _ in range(reps):
        measure(server, run, cmd, cwd=cwd, env=env, logs=logs)
        walls.append(run.wall_s)
        rss.append(run.rss_mb or 0)
    run.wall_s = round(statistics.median(walls), 3)
    run.rss_mb = max(rss) or None
    run.note = f"median of {reps}"
    return run


def startup(
    server: LatencyServer, work: Path, logs: Path, peers_ok: bool, reps: int = 3
) -> list[Run]:
    env = base_env(server)
    # The floor every start-up is compared with (issue #15: validate <= 8x `python -c pass`).
    floor = _best(
        None,
        Run("startup", "python -c pass", "python"),
        [PY, "-c", "pass"],
        ROOT,
        env,
        logs,
        max(reps, 5),
    )
    runs = [floor]
    for cmd in COMMANDS:
        runs.append(
            _best(
                None,
                Run("startup", f"{cmd} --help", "agentci"),
                [PY, "-m", "agentci", cmd, "--help"],
                ROOT,
                env,
                logs,
                reps,
            )
        )

    cases = dataset.peer_dataset(1, work / "n1", server.url + "/v1")
    repo = work / "startup-repo"
    shutil.rmtree(repo, ignore_errors=True)
    dataset.agentci_repo(cases, repo)
    dataset.commit_all(repo, "bench")
    ws = work / "startup-ws"
    shutil.rmtree(ws, ignore_errors=True)
    out = work / "startup-results.json"
    small = [
        ("validate", ["validate"]),
        ("eval 1 case", ["eval", "--no-cache", "--output", str(out)]),
        ("report", ["report", "--results", str(out)]),
        ("deploy", ["deploy", "--workspace", str(ws)]),
        ("diff", ["diff", "--workspace", str(ws)]),
        ("status", ["status", "--workspace", str(ws)]),
    ]
    for label, args in small:
        r = Run("startup", label, "agentci", 1 if label.startswith("eval") else 0)
        runs.append(
            _best(
                server,
                r,
                [PY, "-m", "agentci", *args],
                repo,
                {**env, "AGENTCI_CACHE_DIR": str(work / "startup-cache")},
                logs,
                reps,
            )
        )
    example = ROOT / "examples" / "support-bot"
    r = Run("startup", "validate examples/support-bot", "agentci")
    runs.append(
        _best(None, r, [PY, "-m", "agentci", "validate", str(example)], ROOT, env, logs, reps)
    )
    for r in runs:
        if r.tool == "agentci" and not r.requests and floor.wall_s:
            r.ideal_s, r.ratio = floor.wall_s, round(r.wall_s / floor.wall_s, 1)  # x python -c pass
    if peers_ok:
        data = work / "n1"
        runs.append(
            _best(
                server,
                Run("startup", "eval 1 case", "promptfoo", 1),
                peers.promptfoo_cmd(None),
                data,
                peers.promptfoo_env(env, work / "pfhome", None),
                logs,
                reps,
            )
        )
        (work / "dehome").mkdir(exist_ok=True)
        runs.append(
            _best(
                server,
                Run("startup", "eval 1 case", "deepeval", 1),
                peers.deepeval_cmd(data, None),
                work / "dehome",
                env,
                logs,
                reps,
            )
        )
    return runs
