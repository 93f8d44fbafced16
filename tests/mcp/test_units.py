"""The server's parts without a server: path text, rules, lock records, the BM25 index, the audit log."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agentci.commands.mcp import parse_http
from agentci.deploy.lock import agent_lock_holder, agent_lock_record
from agentci.errors import UsageError
from agentci.mcp import audit
from agentci.mcp.access import Policy
from agentci.mcp.knowledge_index import Index, passages
from agentci.mcp.paths import LocalFiles, Refused, clean


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("/research/r1.md", "/research/r1.md"),
        ("research//r1.md", "/research/r1.md"),
        ("/research/./r1.md", "/research/r1.md"),
        ("/", "/"),
        ("/café/ok.md", "/café/ok.md"),
    ],
)
def test_clean_accepts(raw: str, want: str) -> None:
    assert clean(raw) == want


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "bad-path"),
        (None, "bad-path"),
        ("/x" * 600, "bad-path"),
        ("/a/../b", "traversal"),
        ("..", "traversal"),
        ("/a/%2e%2e/b", "encoding"),
        ("/a\\b", "encoding"),
        ("/a\x00b", "encoding"),
        ("/a\nb", "encoding"),
        ("/a/\uff0e\uff0e/b", "encoding"),
        ("/a\uff0fb", "encoding"),
        ("/cafe\u0301", "encoding"),
        ("/knowledge./x", "encoding"),
        ("/knowledge /x", "encoding"),
        ("/a:b", "encoding"),
    ],
)
def test_clean_refuses(raw: object, rule: str) -> None:
    with pytest.raises(Refused) as err:
        clean(raw)
    assert err.value.rule == rule


POLICY = Policy(
    "writer",
    read=("/knowledge", "/research"),
    write=("/drafts", "/memory/writer.json", "/"),
    memory="/memory/writer.json",
    others_memory=("/memory/researcher.json",),
)


@pytest.mark.parametrize(
    ("op", "path", "rule"),
    [
        ("read", "/.agentci/state.json", "internal"),
        ("write", "/.agentci/audit.log", "internal"),
        ("read", "/memory/researcher.json", "other-agent-memory"),
        ("write", "/knowledge/a.md", "managed-area"),  # even with a grant on "/"
        ("write", "/agents/writer/agent.yaml", "managed-area"),
        ("write", "/deployment.log", "managed-area"),
        ("write", "/drafts/a.md", None),
        ("write", "/memory/writer.json", None),
        ("read", "/research/x.md", None),
    ],
)
def test_policy_rules(op: str, path: str, rule: str | None) -> None:
    if rule is None:
        POLICY.check(op, path)
        return
    with pytest.raises(Refused) as err:
        POLICY.check(op, path)
    assert err.value.rule == rule


def test_grants_are_directory_boundaries() -> None:
    p = Policy("a", read=("/knowledge",), write=("/drafts",), memory=None, others_memory=())
    with pytest.raises(Refused, match="no-write-grant"):
        p.check("write", "/drafts-evil/x")
    with pytest.raises(Refused, match="no-read-grant"):
        p.check("read", "/knowledge-private/x")
    assert (
        p.leads_to_grant("/")
        and not p.leads_to_grant("/.agentci")
        and not p.leads_to_grant("/other")
    )


def test_symlink_not_made_by_deploy_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".agentci/releases/knowledge/abc").mkdir(parents=True)
    (tmp_path / "knowledge").symlink_to(".agentci/releases/knowledge/abc")
    (tmp_path / "research").mkdir()
    (tmp_path / "research/kb").symlink_to(
        "../.agentci/releases/knowledge/abc"
    )  # right target, wrong place
    files = LocalFiles(tmp_path)
    assert (
        files.resolve("/knowledge/a.md")
        == (tmp_path / ".agentci/releases/knowledge/abc/a.md").resolve()
    )
    with pytest.raises(Refused, match="symlink"):
        files.resolve("/research/kb/a.md")


def test_lock_records_expire() -> None:
    record = agent_lock_record("writer", 10)
    assert agent_lock_holder(json.dumps(record).encode())["owner"] == "writer"
    assert agent_lock_holder(json.dumps(record).encode(), now=time.time() + 11) is None
    assert agent_lock_holder(b"busy") == {"owner": "unknown"}  # a hand-made lock never expires
    assert agent_lock_holder(None) is None


def test_bm25_ranks_the_passage_with_the_rare_words() -> None:
    docs = {
        "/k/a.md": "# Refunds\n\nRefunds are accepted within 30 days.\n",
        "/k/b.md": "# Shipping\n\nShipping takes five days.\n\nDays and days of shipping.\n",
    }
    hits = Index(docs).search("refund days", 5)
    assert [h.path for h in hits] == ["/k/a.md", "/k/b.md"]
    assert Index(docs).search("nothing matches", 5) == []
    long = "word " * 1000
    assert all(len(p.text) <= 1200 for p in passages("/k/long.md", long))


def test_audit_counts_denied_since_each_agents_deploy(tmp_path: Path) -> None:
    log = audit.AuditLog(tmp_path, "writer")
    log.record("write_file", "/research/a", "denied", "no-write-grant")
    cut = time.time() + 0.01
    time.sleep(0.02)
    log.record("write_file", "/knowledge/a", "denied", "managed-area")
    log.record("read_file", "/knowledge/a", "allowed")
    raw = (tmp_path / audit.AUDIT_LOG).read_bytes()
    seen = audit.denied_since(raw + b"not json\n", {"writer": cut})
    assert seen["writer"]["count"] == 1 and seen["writer"]["last"]["rule"] == "managed-area"
    assert audit.iso_to_ts("2026-01-01T00:00:00Z") == 1767225600.0


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("127.0.0.1:8765", ("127.0.0.1", 8765)),
        (":8765", ("127.0.0.1", 8765)),
        ("8765", ("127.0.0.1", 8765)),
        ("localhost:1", ("localhost", 1)),
        ("[::1]:9000", ("::1", 9000)),
    ],
)
def test_parse_http(value: str, want: tuple[str, int]) -> None:
    assert parse_http(value, allow_remote=False) == want


@pytest.mark.parametrize("value", ["0.0.0.0:80", "example.com:80", "127.0.0.1:99999", "nope"])
def test_parse_http_refuses(value: str) -> None:
    with pytest.raises(UsageError):
        parse_http(value, allow_remote=False)


# Mostly names that exist (the walk is what is under test here; spellings are test_clean_refuses').
SEGMENTS = ["research", "knowledge", "kb", "out", "r1", ".", "", "..", "Research", "\uff0e\uff0e"]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6), st.booleans())
@example(["research", "out", "ws"], True)  # a planted link out (always tried, not left to chance)
@example(["research", "kb", "r1"], True)  # a planted link to a real area
def test_no_spelling_reaches_outside_the_workspace(
    tmp_path: Path, segments: list[str], absolute: bool
) -> None:
    ws = tmp_path / "ws"
    if not ws.exists():
        (ws / ".agentci/releases/knowledge/r1").mkdir(parents=True)
        (ws / "knowledge").symlink_to(".agentci/releases/knowledge/r1")
        (ws / "research").mkdir()
        (ws / "research/kb").symlink_to("../knowledge")
        (ws / "research/out").symlink_to(tmp_path)
    try:
        real = LocalFiles(ws).resolve(clean(("/" if absolute else "") + "/".join(segments)))
    except Refused:
        return
    resolved = Path(os.path.realpath(real))
    assert resolved == ws.resolve() or ws.resolve() in resolved.parents
    assert ws.resolve() / "research" / "out" not in (real, *real.parents)
