"""`agentci mcp --http 127.0.0.1:PORT` with the SDK's client over streamable HTTP: the seed swarm's
grants, two agents contending for one lock, and a redeploy that narrows a grant while the servers run."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import httpx

from tests.conftest import run_cli
from tests.mcp.mcp_helpers import (
    call,
    http_server,
    redeploy,
    stdio_client,
    text,
    write,
    write_agent,
)


def test_seed_swarm_over_http(swarm: tuple[Path, Path]) -> None:
    from mcp import Client

    _, ws = swarm
    with http_server("researcher", ws) as r_url, http_server("writer", ws) as w_url:

        async def main() -> None:
            async with Client(r_url) as researcher, Client(w_url) as writer:
                r = await call(researcher, "write_file", path="/research/r1.md", content="findings")
                assert not r.is_error, text(r)
                r = await call(writer, "read_file", path="/research/r1.md")
                assert not r.is_error and text(r) == "findings"
                r = await call(writer, "write_file", path="/research/r1.md", content="mine now")
                assert r.is_error and "denied (no-write-grant): /research/r1.md" in text(r)
                r = await call(researcher, "write_file", path="/knowledge/refunds.md", content="x")
                assert r.is_error and "denied (managed-area): /knowledge/refunds.md" in text(r)
                r = await call(writer, "read_file", path="/research/%2e%2e/memory/researcher.json")
                assert r.is_error and "encoding" in text(r)

        anyio.run(main)
        # The SDK's DNS-rebinding protection is on for a loopback host: a foreign Host is refused.
        rebound = httpx.post(
            r_url,
            headers={
                "Host": "attacker.example",
                "Content-Type": "application/json",
                "Accept": "application/json, text/event-stream",
            },
            content=b"{}",
        )
        assert rebound.status_code == 421
    assert (ws / "research" / "r1.md").read_text() == "findings"


def test_two_agents_contend_for_one_lock(swarm: tuple[Path, Path]) -> None:
    from mcp import Client

    _, ws = swarm
    with http_server("writer", ws) as w_url:

        async def main() -> None:
            async with stdio_client("researcher", ws) as researcher, Client(w_url) as writer:
                lock = "/locks/research.lock"
                r = await call(researcher, "acquire_lock", path=lock, ttl_seconds=60)
                assert not r.is_error and r.structured_content["owner"] == "researcher", text(r)
                r = await call(writer, "acquire_lock", path=lock)
                assert r.is_error and "held by researcher" in text(r)
                assert (
                    r.structured_content["acquired"] is False
                    and r.structured_content["expires_in"] > 50
                )
                for tool, args in (
                    ("release_lock", {}),
                    ("write_file", {"content": "x"}),
                    ("delete_file", {}),
                ):
                    r = await call(writer, tool, path=lock, **args)
                    assert r.is_error and "researcher" in text(r), tool
                r = await call(writer, "lock_status", path=lock)
                assert (
                    r.structured_content["held"] and r.structured_content["owner"] == "researcher"
                )
                r = await call(researcher, "release_lock", path=lock)
                assert not r.is_error and r.structured_content["released"]
                r = await call(writer, "acquire_lock", path=lock, ttl_seconds=1)
                assert not r.is_error and r.structured_content["owner"] == "writer"
                r = await call(researcher, "acquire_lock", path=lock)
                assert r.is_error and "held by writer" in text(r)
                await anyio.sleep(1.3)  # the writer stopped renewing: the lock expired
                r = await call(researcher, "acquire_lock", path=lock)
                assert not r.is_error and r.structured_content["owner"] == "researcher", text(r)
                r = await call(researcher, "acquire_lock", path="/research/../locks/x.lock")
                assert r.is_error and "traversal" in text(r)
                r = await call(
                    writer, "acquire_lock", path="/research/r.lock"
                )  # locks need write access
                assert r.is_error and "no-write-grant" in text(r)

        anyio.run(main)


def test_deploy_honours_the_lock_an_agent_takes(swarm: tuple[Path, Path]) -> None:
    repo, ws = swarm
    write(repo / "agents" / "researcher" / "system_prompt.md", "You are the researcher. v2\n")

    async def hold(ttl: float) -> None:
        async with stdio_client("researcher", ws) as researcher:
            r = await call(
                researcher, "acquire_lock", path="/locks/researcher.lock", ttl_seconds=ttl
            )
            assert not r.is_error, text(r)

    anyio.run(hold, 60.0)
    from tests.conftest import commit_all

    commit_all(repo, "v2")
    out = run_cli("deploy", str(repo), "--workspace", str(ws), "--no-smoke", "--no-writeback")
    assert out.returncode == 1 and "busy" in out.stdout + out.stderr  # lock.on_busy: fail
    assert "v2" not in (ws / "agents" / "researcher" / "system_prompt.md").read_text()
    anyio.run(hold, 1.0)  # renewed with a short ttl, then left to expire
    time.sleep(1.3)
    out = run_cli("deploy", str(repo), "--workspace", str(ws), "--no-smoke", "--no-writeback")
    assert out.returncode == 0, out.stderr
    assert "v2" in (ws / "agents" / "researcher" / "system_prompt.md").read_text()


def test_redeploy_narrowing_a_grant_applies_to_the_next_call(swarm: tuple[Path, Path]) -> None:
    from mcp import Client

    repo, ws = swarm
    with http_server("writer", ws) as w_url:

        async def main() -> None:
            async with stdio_client("writer", ws) as over_stdio, Client(w_url) as over_http:
                for client in (over_stdio, over_http):
                    r = await call(client, "write_file", path="/drafts/a.md", content="a")
                    assert not r.is_error, text(r)
                    r = await call(client, "read_file", path="/research/r1.md")
                    assert "no-read-grant" not in text(r)
                # The writer loses /drafts (and its role's output dir) and /research: merged and deployed.
                write_agent(repo, "writer", "/knowledge", "/notes, /locks")
                write(
                    repo / "swarm.yaml",
                    "roles:\n  - {name: researcher, agent: researcher, output_dir: /research}\n"
                    "  - {name: writer, agent: writer, output_dir: /notes}\n",
                )
                await anyio.to_thread.run_sync(redeploy, repo, ws, "narrow the writer")
                for client in (over_stdio, over_http):  # same sessions, no restart
                    r = await call(client, "write_file", path="/drafts/b.md", content="b")
                    assert r.is_error and "denied (no-write-grant): /drafts/b.md" in text(r)
                    r = await call(client, "read_file", path="/research/r1.md")
                    assert r.is_error and "no-read-grant" in text(r)
                    r = await call(client, "write_file", path="/notes/n.md", content="n")
                    assert not r.is_error, text(r)

        anyio.run(main)
    assert not (ws / "drafts" / "b.md").exists()
