"""Provider faults at full size: N cases, 20% of them hit a 429 / 500 / timeout once, vs the fault-free run.

Uses the OpenAI-compatible stand-in with fault injection (tests/servers/openai_stub.py):
a `[[fault:KINDx1]]` marker in a case's input makes its first request fail that way.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

from benchmarks import dataset
from benchmarks.harness import PY, ROOT, Run, base_env, free_port, measure
from benchmarks.side_by_side import agentci_cmd

KINDS = ["429", "500", "hang"]


class StubProcess:
    def __init__(self, latency_ms: float) -> None:
        self.port = free_port()
        self.latency_ms = latency_ms
        self.proc = subprocess.Popen(
            [
                PY,
                str(ROOT / "tests" / "servers" / "openai_stub.py"),
                "--port",
                str(self.port),
                "--latency-ms",
                str(latency_ms),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                self.post("/faults", {"retry_after": "0", "hang_s": 3.0})
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("openai_stub did not start")

    def post(self, path: str, body: dict) -> None:
        req = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(req, timeout=5).read()

    def reset(self) -> None:
        self.post("/stats/reset", {})

    def stats(self) -> dict:
        with urllib.request.urlopen(self.url + "/stats", timeout=5) as r:
            st = json.load(r)
        return {
            "completions": st.get("completions", 0),
            "peak_in_flight": st.get("peak_in_flight", 0),
        }

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


def _repo(path: Path, n: int, faults: bool) -> Path:
    cases = []
    for i in range(n):
        text = f"[c{i}] What is {i} plus 1?"
        if faults and i % 5 == 0:
            text += f" [[fault:{KINDS[(i // 5) % 3]}x1]]"
        cases.append({"id": f"c{i:05d}", "input": text, "expected": str(i + 1)})
    dataset.agentci_repo(
        cases, path, config="eval:\n  concurrency: 64\n  timeout: 1\n  retries: 4\n"
    )
    dataset.commit_all(path, "bench")
    return path


def faults(work: Path, logs: Path, n: int, latency_ms: float) -> list[Run]:
    stub = StubProcess(latency_ms)
    try:
        env = {
            **base_env(),
            "OPENAI_API_KEY": "sk-local-bench",
            "OPENAI_BASE_URL": stub.url + "/v1",
            "AGENTCI_CACHE_DIR": str(work / "faults-cache"),
        }
        runs = []
        for label, with_faults in (("fault-free", False), ("20%-faults", True)):
            repo = _repo(work / f"faults-{label}", n, with_faults)
            out = work / f"results-faults-{label}.json"
            r = Run("faults", label, "agentci", n, 64)
            measure(stub, r, agentci_cmd(None, out), cwd=repo, env=env, logs=logs)  # type: ignore[arg-type]
            try:
                data = json.loads(out.read_text())
                ids = [c["id"] for a in data["agents"] for c in a["cases"]]
                r.note = (
                    f"cases recorded {len(ids)} (unique {len(set(ids))}), passed "
                    f"{data['totals']['passed']}, retries {(r.requests or 0) - n}"
                )
            except (OSError, ValueError, KeyError):
                r.note = "no results JSON"
            runs.append(r)
        if runs[0].wall_s:
            runs[1].extra["vs_fault_free"] = round(runs[1].wall_s / runs[0].wall_s, 2)
            runs[1].note += f"; x{runs[1].extra['vs_fault_free']} of fault-free"
        return runs
    finally:
        stub.close()
