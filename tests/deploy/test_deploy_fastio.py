"""The fastio backend against the Fast.io stand-in (written from Fast.io's CLI), through the real CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastio_helpers import (
    KEY,
    big_text,
    check_deployed,
    commit_all,
    env,
    fastio_repo,
    fdeploy,
    run_cli,
    uploads,
    write,
)

from tests.servers.fastio_server import FastioServer


@pytest.fixture
def fio():  # type: ignore[no-untyped-def]
    with FastioServer(token=KEY) as server:
        yield server


def _deploy_change_redeploy(tmp_path: Path, fio: FastioServer) -> dict[str, float]:
    repo = fastio_repo(tmp_path / "r", fio)
    t0 = time.monotonic()
    rc, data, err = fdeploy(repo)
    assert rc == 0, err
    first = time.monotonic() - t0
    check_deployed(fio, repo)
    assert fio.files("knowledge/shared")["big.md"] == big_text("v1").encode()  # the big file whole
    write(repo / "knowledge/shared/doc0003.md", "changed\n")
    write(repo / "knowledge/shared/big.md", big_text("v2"))
    write(repo / "agents/alpha/system_prompt.md", "You are alpha v2 at {{ company }}.\n")
    commit_all(repo, "change")
    rc, data, err = fdeploy(repo)
    assert rc == 0, err
    check_deployed(fio, repo)
    knowledge = next(a for a in data["areas"] if a["name"] == "knowledge")
    assert knowledge["files_sent"] == 2 and knowledge["files_unchanged"] == 11
    before = len(fio.requests)
    rc, data, err = fdeploy(repo)
    assert rc == 0, err
    assert sum(a["files_sent"] for a in data["agents"] + data["areas"]) == 0
    sent = uploads(fio, before)
    assert all(n in ("state.json", "deployment.log") or n.endswith(".claim") for n in sent), sent
    check_deployed(fio, repo)
    log = fio.paths()["deployment.log"][0].decode().splitlines()
    assert len(log) == 3 and all(
        json.loads(line)["result"] == "ok" for line in log
    )  # appended, one node
    assert run_cli("diff", str(repo), env=env()).returncode == 0
    return {"first_s": first}


@pytest.mark.parametrize("envelope", ["flat", "wrapped", "mixed"])
def test_deploy_change_and_unchanged_redeploy(
    tmp_path: Path, fio: FastioServer, envelope: str
) -> None:
    fio.envelope = envelope
    _deploy_change_redeploy(tmp_path, fio)
    assert fio.max_parallel_chunks <= 3
    deletes = [
        r for r in fio.requests if r["method"] == "DELETE" and r["path"].startswith("upload/")
    ]
    assert (deletes and not fio.sessions) or all(
        s.status != "uploading" for s in fio.sessions.values()
    )


def test_same_deploy_with_a_fifth_of_requests_rate_limited(
    tmp_path: Path, fio: FastioServer
) -> None:
    fio.throttle = 0.2
    _deploy_change_redeploy(tmp_path, fio)
    total = len(fio.requests)
    print(
        f"\n20% 429s: {fio.answered_429} of {total} requests answered 429, each retried after x-ve-limit-expires"
    )
    assert fio.answered_429 >= total // 10


def test_diff_and_status_follow_pagination(tmp_path: Path, fio: FastioServer) -> None:
    fio.max_page = 5  # 13 knowledge files: three pages of the folder listing
    repo = fastio_repo(tmp_path / "r", fio, big=False, knowledge=13)
    assert fdeploy(repo)[0] == 0
    cursors = [r for r in fio.requests if r["path"].endswith("/list") and r["query"].get("cursor")]
    assert cursors
    assert run_cli("diff", str(repo), env=env()).returncode == 0
    status = run_cli("status", str(repo), "--format", "json", env=env())
    assert status.returncode == 0, status.stderr
    agents = json.loads(status.stdout)["agents"]
    assert {a["sync"] for a in agents} == {"Synced"}
    node = fio.find("knowledge/shared/doc0012.md")  # on the last page
    assert node is not None
    node.content = b"hand edit\n"
    diff = run_cli("diff", str(repo), env=env())
    assert diff.returncode == 1, diff.stdout + diff.stderr
    fio.find("agents/beta/system_prompt.md").content = b"hand edit\n"  # type: ignore[union-attr]
    diff = run_cli("diff", str(repo), env=env())
    assert diff.returncode == 1 and "agent beta: OutOfSync" in diff.stdout


def test_api_key_variable_and_alias(tmp_path: Path, fio: FastioServer) -> None:
    repo = fastio_repo(tmp_path / "r", fio, big=False, knowledge=2)
    proc = run_cli(
        "deploy",
        str(repo),
        "--no-smoke",
        "--no-writeback",
        env={"FASTIO_API_KEY": "", "FASTIO_TOKEN": ""},
    )
    assert proc.returncode == 2 and "FASTIO_API_KEY or FASTIO_TOKEN is not set" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (
        fdeploy(repo, environ={"FASTIO_TOKEN": KEY, "FASTIO_API_KEY": ""})[0] == 0
    )  # the alias still works
    assert all(KEY not in json.dumps(r["form"]) + json.dumps(r["query"]) for r in fio.requests)


def test_indexing_waits_and_failed_is_not_indexed_and_old_releases_purged(
    tmp_path: Path, fio: FastioServer
) -> None:
    fio.intelligence, fio.index_delay = True, 3.0
    fio.fail_index = {"doc0001.md"}
    repo = fastio_repo(tmp_path / "r", fio, big=False, knowledge=4)
    rc, data, err = fdeploy(repo)
    assert rc == 0, err
    knowledge = next(a for a in data["areas"] if a["name"] == "knowledge")
    assert knowledge["indexed"] is False and knowledge["index_failed"] == ["shared/doc0001.md"]
    assert "indexing failed for 1 file" in err
    assert any(
        r["path"].startswith("activity/poll") for r in fio.requests
    )  # waited on the long-poll
    write(repo / "agents/alpha/system_prompt.md", "v2\n")
    commit_all(repo, "v2")
    assert fdeploy(repo)[0] == 0
    # With Intelligence on, the replaced release is purged, not kept where RAG could find it.
    old = [
        p
        for p in fio.paths()
        if p.startswith(".agentci/releases/agents/alpha/") and not p.endswith("/")
    ]
    assert not old, old  # only the (empty) slot folder of the live release is left
    assert any(r["path"].endswith("purge") for r in fio.requests)


def test_a_failed_assembly_is_terminal_and_keeps_the_old_release(
    tmp_path: Path, fio: FastioServer
) -> None:
    repo = fastio_repo(tmp_path / "r", fio, big=False, knowledge=3)
    assert fdeploy(repo)[0] == 0
    write(repo / "knowledge/shared/big.md", big_text("v9"))
    commit_all(repo, "big")
    fio.drop_chunks = {1}  # chunk 1 is lost server-side: assembly fails (REF:1014, terminal)
    rc, _, err = fdeploy(repo)
    assert rc == 1 and "assembly_failed" in err and "Traceback" not in err
    fio.drop_chunks = set()
    assert "big.md" not in fio.files("knowledge/shared")
    assert not [
        s for s in fio.sessions.values() if s.status == "assembly_failed"
    ]  # the session was deleted
    rc, _, err = fdeploy(repo)
    assert rc == 0, err
    check_deployed(fio, repo)
