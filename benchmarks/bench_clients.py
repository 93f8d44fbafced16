"""Which HTTP client and concurrency model the eval engine uses, by measurement.

    python -m benchmarks.bench_clients [-n 2000] [-c 64] [--latency-ms 200] [--reps 3]

Sends N chat completions at concurrency c to ../shared/bench/latency_server.py from inside
one process, with each candidate in turn (interleaved, repeated), and prints the median wall
time over the ideal ceil(N/c)·latency, the CPU seconds the client burnt, and what importing
it costs a fresh process (median of 5, over `import asyncio` alone):

- agentci-http1: agentci's own client (agentci/http1.py: asyncio + httptools), c worker tasks
  on one Pool(c) (agentci's engine since #15)
- aiohttp: one ClientSession, c worker tasks (the floor's client; agentci's engine in #15's
  first rounds)
- httpx-async-default: httpx.AsyncClient() as shipped (Limits: 100 connections, 20 kept alive)
- httpx-async-keepalive: httpx.AsyncClient(limits: c connections, c kept alive)
- httpx-sync-threads: c threads over one httpx.Client (agentci's engine before #15)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import resource
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks.harness import LatencyServer


def _body(i: int) -> dict[str, Any]:
    return {
        "model": "bench-model",
        "temperature": 0,
        "messages": [
            {"role": "system", "content": "You answer questions.\n"},
            {"role": "user", "content": f"[c{i}] What is {i} plus 1?"},
        ],
    }


async def _workers(n: int, c: int, send: Callable[[dict[str, Any]], Any]) -> None:
    it = iter(range(n))

    async def worker() -> None:
        for i in it:
            await send(_body(i))

    await asyncio.gather(*(worker() for _ in range(c)))


def aiohttp_run(url: str, n: int, c: int) -> None:
    import aiohttp

    async def go() -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c)) as s:

            async def send(body: dict[str, Any]) -> None:
                async with s.post(url, json=body) as r:
                    await r.read()

            await _workers(n, c, send)

    asyncio.run(go())


def http1_run(url: str, n: int, c: int) -> None:
    import json

    from agentci import http1

    async def go() -> None:
        pool = http1.Pool(c)
        headers = {"Content-Type": "application/json"}

        async def send(body: dict[str, Any]) -> None:
            got: list[bytes] = []
            await pool.send(
                "POST", url, headers, json.dumps(body).encode(), lambda s, h: got.append
            )

        await _workers(n, c, send)
        await pool.close()

    asyncio.run(go())


def httpx_async_run(url: str, n: int, c: int, keepalive: bool) -> None:
    import httpx

    async def go() -> None:
        limits = (
            httpx.Limits(max_connections=c, max_keepalive_connections=c)
            if keepalive
            else httpx.Limits(max_connections=100, max_keepalive_connections=20)  # the default
        )
        async with httpx.AsyncClient(limits=limits) as s:

            async def send(body: dict[str, Any]) -> None:
                (await s.post(url, json=body)).read()

            await _workers(n, c, send)

    asyncio.run(go())


def httpx_threads_run(url: str, n: int, c: int) -> None:
    import httpx

    it = iter(range(n))
    lock = threading.Lock()
    with httpx.Client(limits=httpx.Limits(max_connections=c, max_keepalive_connections=c)) as s:

        def worker() -> None:
            while True:
                with lock:
                    i = next(it, None)
                if i is None:
                    return
                s.post(url, json=_body(i)).read()

        threads = [threading.Thread(target=worker) for _ in range(c)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


CANDIDATES: dict[str, Callable[[str, int, int], None]] = {
    "agentci-http1": http1_run,
    "aiohttp": aiohttp_run,
    "httpx-async-default": lambda u, n, c: httpx_async_run(u, n, c, keepalive=False),
    "httpx-async-keepalive": lambda u, n, c: httpx_async_run(u, n, c, keepalive=True),
    "httpx-sync-threads": httpx_threads_run,
}


IMPORTS = {
    "agentci-http1": "agentci.http1",
    "aiohttp": "aiohttp",
    "httpx-async-default": "httpx",
    "httpx-async-keepalive": "httpx",
    "httpx-sync-threads": "httpx",
}


def import_ms(module: str, reps: int = 5) -> float:
    """Milliseconds a fresh interpreter spends importing `module` after asyncio."""
    import subprocess
    import sys

    def run(code: str) -> float:
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    return max(0.0, (run(f"import asyncio, {module}") - run("import asyncio")) * 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("-c", type=int, action="append")
    ap.add_argument("--latency-ms", type=float, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", action="append", choices=list(CANDIDATES))
    a = ap.parse_args()
    names = a.only or list(CANDIDATES)
    with LatencyServer(a.latency_ms) as server:
        url = server.url + "/v1/chat/completions"
        for c in a.c or [64]:
            ideal = math.ceil(a.n / c) * a.latency_ms / 1000
            walls: dict[str, list[float]] = {k: [] for k in names}
            cpus: dict[str, list[float]] = {k: [] for k in names}
            for _ in range(a.reps):
                for name in names:  # interleaved: a busy spell hits every candidate alike
                    server.reset()
                    r0 = resource.getrusage(resource.RUSAGE_SELF)
                    t0 = time.perf_counter()
                    CANDIDATES[name](url, a.n, c)
                    walls[name].append(time.perf_counter() - t0)
                    r1 = resource.getrusage(resource.RUSAGE_SELF)
                    cpus[name].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
                    done = server.stats()["completions"]
                    assert done == a.n, (name, done)
            print(f"N={a.n} c={c} ideal {ideal:.2f}s (median of {a.reps}, interleaved)")
            for name in names:
                w = statistics.median(walls[name])
                print(
                    f"  {name:24s} wall {w:6.2f}s  {w / ideal:5.2f}x ideal  "
                    f"cpu {statistics.median(cpus[name]):5.2f}s  "
                    f"import {import_ms(IMPORTS[name]):5.0f} ms"
                )


if __name__ == "__main__":
    main()
