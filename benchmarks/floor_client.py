"""The floor: the least a client can do for the eval workload, a bare asyncio aiohttp loop.

    python -m benchmarks.floor_client CASES.jsonl BASE_URL CONCURRENCY

Reads cases.jsonl, sends every case once as the same chat completion agentci sends (system
turn + user turn, temperature 0) with at most CONCURRENCY in flight on one kept-alive
connection pool, checks `contains expected`, prints `passed/total`. No cache, no retries,
no results file: what is left is Python start-up, aiohttp and the server's latency, so
agentci's wall time over this one's (same run, same server) is agentci's own overhead.
Run as a fresh process under /usr/bin/time, exactly like the tools it is compared with.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


async def _main(cases: list[dict[str, Any]], base_url: str, concurrency: int) -> int:
    import aiohttp

    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for case in cases:
        queue.put_nowait(case)
    passed = 0
    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": "Bearer sk-local-bench"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal passed
            while not queue.empty():
                case = queue.get_nowait()
                body = {
                    "model": "bench-model",
                    "temperature": 0,
                    "messages": [
                        {"role": "system", "content": "You answer questions.\n"},
                        {"role": "user", "content": case["input"]},
                    ],
                }
                async with session.post(url, json=body, headers=headers) as resp:
                    data = await resp.json()
                text = data["choices"][0]["message"]["content"] or ""
                passed += case["expected"] in text

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(cases)))))
    return passed


def main(argv: list[str]) -> int:
    path, base_url, concurrency = argv[0], argv[1], int(argv[2])
    with open(path, encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    passed = asyncio.run(_main(cases, base_url, concurrency))
    print(f"passed {passed}/{len(cases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
