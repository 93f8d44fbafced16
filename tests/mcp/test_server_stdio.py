"""The real MCP client (the SDK's `Client`) talking to `agentci mcp` over stdio, on the seed swarm
deployed with the real CLI: the policy decides, denials name rule and path, every call is audited."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import anyio

from tests.conftest import run_cli
from tests.mcp.mcp_helpers import audit_lines, call, deploy, stdio_client, text


def test_seed_swarm_policy_over_stdio(swarm: tuple[Path, Path]) -> None:
    _, ws = swarm

    async def main() -> None:
        async with (
            stdio_client("researcher", ws) as researcher,
            stdio_client("writer", ws) as writer,
        ):
            names = {t.name for t in (await researcher.list_tools()).tools}
            assert names == {
                "read_file",
                "write_file",
                "list_files",
                "delete_file",
                "move_file",
                "acquire_lock",
                "release_lock",
                "lock_status",
                "search_knowledge",
            }
            r = await call(
                researcher,
                "write_file",
                path="/research/r1.md",
                content="# Findings\nrefunds: 30 days\n",
            )
            assert not r.is_error, text(r)
            assert (ws / "research" / "r1.md").read_text() == "# Findings\nrefunds: 30 days\n"

            r = await call(writer, "read_file", path="/research/r1.md")
            assert not r.is_error and text(r) == "# Findings\nrefunds: 30 days\n"
            r = await call(writer, "write_file", path="/research/r1.md", content="overwritten")
            assert r.is_error
            assert "no-write-grant" in text(r) and "/research/r1.md" in text(r)
            assert r.structured_content["rule"] == "no-write-grant"
            r = await call(writer, "delete_file", path="/research/r1.md")
            assert r.is_error and "no-write-grant" in text(r)
            assert (ws / "research" / "r1.md").read_text().startswith("# Findings")

            for client in (researcher, writer):  # nobody writes /knowledge
                r = await call(
                    client,
                    "write_file",
                    path="/knowledge/refunds.md",
                    content="all refunds, forever",
                )
                assert (
                    r.is_error and "managed-area" in text(r) and "/knowledge/refunds.md" in text(r)
                )
                r = await call(client, "delete_file", path="/knowledge/refunds.md")
                assert r.is_error and "managed-area" in text(r)
            assert "30 days" in (ws / "knowledge" / "refunds.md").read_text()

            r = await call(
                researcher, "read_file", path="/drafts/anything.md"
            )  # the writer's output
            assert r.is_error and "no-read-grant" in text(r)
            r = await call(writer, "write_file", path="/drafts/d1.md", content="draft")
            assert not r.is_error
            r = await call(
                writer, "move_file", **{"from": "/drafts/d1.md", "to": "/drafts/final.md"}
            )
            assert not r.is_error and (ws / "drafts" / "final.md").read_text() == "draft"
            r = await call(
                writer, "move_file", **{"from": "/drafts/final.md", "to": "/research/stolen.md"}
            )
            assert (
                r.is_error and "no-write-grant" in text(r) and (ws / "drafts" / "final.md").exists()
            )

            r = await call(writer, "list_files", path="/")
            listed = {e["path"] for e in r.structured_content["entries"]}
            assert listed == {
                "/agents",
                "/drafts",
                "/knowledge",
                "/research",
            }  # no /.agentci, no deployment.log
            r = await call(researcher, "list_files", path="/drafts")
            assert r.is_error and "no-read-grant" in text(r)

    anyio.run(main)


def test_memory_own_yes_others_no(swarm: tuple[Path, Path]) -> None:
    _, ws = swarm

    async def main() -> None:
        async with stdio_client("writer", ws) as writer:
            r = await call(writer, "write_file", path="/memory/writer.json", content='{"seen": 1}')
            assert not r.is_error
            r = await call(writer, "read_file", path="/memory/writer.json")
            assert text(r) == '{"seen": 1}'
            for tool, args in (
                ("read_file", {}),
                ("write_file", {"content": "{}"}),
                ("delete_file", {}),
            ):
                r = await call(writer, tool, path="/memory/researcher.json", **args)
                assert (
                    r.is_error
                    and "other-agent-memory" in text(r)
                    and "/memory/researcher.json" in text(r)
                )
            r = await call(writer, "read_file", path="/.agentci/policies/writer.json")
            assert r.is_error and "internal" in text(r)

    anyio.run(main)


def test_search_knowledge_ranks_deployed_passages(swarm: tuple[Path, Path]) -> None:
    _, ws = swarm

    async def main() -> None:
        async with stdio_client("writer", ws) as writer:
            r = await call(writer, "search_knowledge", query="how many days for a refund?", limit=2)
            assert not r.is_error, text(r)
            results = r.structured_content["results"]
            assert results[0]["path"] == "/knowledge/refunds.md" and "30 days" in results[0]["text"]
            assert len(results) <= 2
            r = await call(writer, "search_knowledge", query="express shipping")
            assert r.structured_content["results"][0]["path"] == "/knowledge/shipping.md"
            r = await call(writer, "search_knowledge", query="refund", limit=10_000)
            assert r.is_error and "limit" in text(r)

    anyio.run(main)


def test_traversal_and_symlinks_over_stdio(swarm: tuple[Path, Path], tmp_path: Path) -> None:
    _, ws = swarm
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s3cret")
    (ws / "research").mkdir()
    os.symlink(outside, ws / "research" / "escape")  # a planted directory link out of the workspace
    os.symlink(outside / "secret.txt", ws / "research" / "secret.md")  # a planted file link
    os.symlink(
        "../knowledge", ws / "research" / "kb"
    )  # a link to a read-only area, to write through

    async def main() -> None:
        async with stdio_client("researcher", ws) as researcher:
            for path, rule in [
                ("/research/../drafts/x.md", "traversal"),
                ("/research/%2e%2e/drafts/x.md", "encoding"),
                ("research\\..\\drafts\\x.md", "encoding"),
                ("/research/x\x00.md", "encoding"),
                ("/RESEARCH/x.md", "no-write-grant"),
                ("/research/escape/secret.txt", "symlink"),
                ("/research/secret.md", "symlink"),
                ("/research/kb/refunds.md", "symlink"),
            ]:
                r = await call(researcher, "write_file", path=path, content="pwned")
                assert r.is_error, path
                assert f"denied ({rule})" in text(r), (path, text(r))
                r = await call(researcher, "read_file", path=path)
                assert r.is_error and "s3cret" not in text(r)
            assert (outside / "secret.txt").read_text() == "s3cret"
            assert "pwned" not in (ws / "knowledge" / "refunds.md").read_text()
            assert not (ws / "drafts").exists()
            r = await call(
                researcher, "read_file", path="/knowledge/refunds.md"
            )  # deploy's own link is fine
            assert not r.is_error and "30 days" in text(r)

    anyio.run(main)


def test_audit_log_and_status_show_denied_calls(swarm: tuple[Path, Path]) -> None:
    repo, ws = swarm

    async def main() -> None:
        async with stdio_client("writer", ws) as writer:
            await call(writer, "read_file", path="/knowledge/refunds.md")
            await call(writer, "write_file", path="/research/r9.md", content="no")
            await call(writer, "write_file", path="/knowledge/x.md", content="no")

    anyio.run(main)
    lines = audit_lines(ws)
    assert [(e["agent"], e["tool"], e["path"], e["verdict"], e.get("rule")) for e in lines] == [
        ("writer", "read_file", "/knowledge/refunds.md", "allowed", None),
        ("writer", "write_file", "/research/r9.md", "denied", "no-write-grant"),
        ("writer", "write_file", "/knowledge/x.md", "denied", "managed-area"),
    ]
    assert all(e["time"].endswith("Z") and isinstance(e["ts"], float) for e in lines)

    out = run_cli("status", str(repo), "--workspace", str(ws))
    assert out.returncode == 0, out.stderr
    assert "denied MCP tool calls since the last deploy" in out.stdout
    assert (
        "writer: 2 (last" in out.stdout
        and "/knowledge/x.md" in out.stdout
        and "managed-area" in out.stdout
    )
    rows = {
        r["name"]: r
        for r in json.loads(
            run_cli("status", str(repo), "--workspace", str(ws), "--format", "json").stdout
        )["agents"]
    }
    assert rows["writer"]["denied_calls"] == 2 and rows["researcher"]["denied_calls"] == 0

    time.sleep(1.1)  # deploy times have one-second resolution
    deploy(repo, ws)  # a new deploy: the count starts again
    out = run_cli("status", str(repo), "--workspace", str(ws))
    assert "denied MCP tool calls" not in out.stdout and len(audit_lines(ws)) == 3


def test_not_deployed_agent_refuses_to_start(swarm: tuple[Path, Path], tmp_path: Path) -> None:
    _, ws = swarm
    out = run_cli("mcp", "--agent", "ghost", "--workspace", str(ws), input="")
    assert out.returncode == 1
    assert "agent 'ghost' is not deployed in" in out.stderr and "agentci deploy" in out.stderr
    assert out.stdout == ""  # nothing on the protocol channel
    empty = tmp_path / "empty"
    out = run_cli("mcp", "--agent", "writer", "--workspace", str(empty), input="")
    assert out.returncode == 1 and "not deployed" in out.stderr
    out = run_cli("mcp", "--agent", "../writer", "--workspace", str(ws), input="")
    assert out.returncode == 2 and "not an agent name" in out.stderr
    out = run_cli(
        "mcp", "--agent", "writer", "--workspace", str(ws), "--http", "0.0.0.0:8765", input=""
    )
    assert out.returncode == 2 and "not a loopback address" in out.stderr


def test_bounds_are_enforced(swarm: tuple[Path, Path]) -> None:
    _, ws = swarm
    (ws / "research").mkdir()
    for i in range(5):
        (ws / "research" / f"r{i}.md").write_text("x" * (10 + 30 * i))
    (ws / "research" / "bin.dat").write_bytes(b"\xff\xfe\x00")
    os.mkfifo(ws / "research" / "pipe.md")  # opening it for reading would block a naive server

    async def main() -> None:
        limits = ("--max-file-bytes", "64", "--max-list-entries", "3", "--max-search-results", "2")
        async with stdio_client("researcher", ws, *limits) as researcher:
            r = await call(researcher, "write_file", path="/research/big.md", content="y" * 65)
            assert r.is_error and "over the limit of 64 bytes" in text(r)
            assert not (ws / "research" / "big.md").exists()
            r = await call(researcher, "read_file", path="/research/r2.md")  # 70 bytes
            assert r.is_error and "larger than the server's limit of 64 bytes" in text(r)
            r = await call(researcher, "read_file", path="/research/r1.md")  # 40 bytes
            assert not r.is_error and text(r) == "x" * 40
            r = await call(researcher, "read_file", path="/research/bin.dat")
            assert r.is_error and "not UTF-8 text" in text(r)
            with anyio.fail_after(20):
                r = await call(researcher, "read_file", path="/research/pipe.md")
            assert r.is_error and "not a regular file" in text(r)
            r = await call(researcher, "list_files", path="/research")
            assert len(r.structured_content["entries"]) == 3 and r.structured_content["truncated"]
            r = await call(researcher, "search_knowledge", query="refund", limit=3)
            assert r.is_error and "from 1 to 2" in text(r)
            r = await call(researcher, "acquire_lock", path="/locks/a.lock", ttl_seconds=10**6)
            assert r.is_error and "ttl_seconds" in text(r)

    anyio.run(main)
