"""The fastio backend against the Fast.io stand-in on 127.0.0.1, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deploy_helpers import commit_all, make_repo, run_cli, write

from tests.servers.fastio_stub import FastioStub

TOKEN = "fio_secret_token_value"


def _repo(tmp_path: Path, stub: FastioStub, extra: str = "") -> Path:
    repo = make_repo(tmp_path / "r", agents=["alpha", "beta"], knowledge_files=12)
    (repo / "agentci.yaml").write_text(
        "workspace:\n  backend: fastio\n  lock_ttl: 5\n  index_timeout: 10\n"
        f"  fastio: {{workspace_id: '{stub.workspace_id}', token_env: FASTIO_TOKEN, base_url: '{stub.url}', "
        f"timeout: 0.5, retries: 3{extra}}}\n")
    commit_all(repo, "fastio")
    return repo


def _deploy(repo: Path, *args: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    proc = run_cli("deploy", str(repo), "--no-smoke", "--no-writeback", "--format", "json", *args,
                   env={"FASTIO_TOKEN": TOKEN})
    return proc.returncode, (json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}), proc.stderr


@pytest.fixture
def stub():  # type: ignore[no-untyped-def]
    with FastioStub(token=TOKEN) as s:
        yield s


def test_deploy_diff_incremental_and_hand_edit(tmp_path: Path, stub: FastioStub) -> None:
    repo = _repo(tmp_path, stub)
    rc, data, err = _deploy(repo)
    assert rc == 0, err
    assert stub.files("agents/alpha")["system_prompt.md"] == b"You are alpha at Acme. v1\n"
    assert len(stub.files("knowledge/shared")) == 12
    uploads = stub.uploads
    rc, data, err = _deploy(repo)
    assert rc == 0 and sum(a["files_sent"] for a in data["agents"] + data["areas"]) == 0
    assert stub.uploads == uploads + 2  # bookkeeping only: state.json and deployment.log
    write(repo / "knowledge/shared/doc0001.md", "changed\n")
    commit_all(repo, "one knowledge file")
    before = stub.uploads
    rc, data, err = _deploy(repo)
    assert rc == 0, err
    knowledge = next(a for a in data["areas"] if a["name"] == "knowledge")
    assert knowledge["files_sent"] == 1 and knowledge["files_unchanged"] == 11
    assert stub.files("knowledge/shared")["doc0001.md"] == b"changed\n"
    assert run_cli("diff", str(repo), env={"FASTIO_TOKEN": TOKEN}).returncode == 0
    stub.find("agents/beta/system_prompt.md").content = b"hand edit\n"  # type: ignore[union-attr]
    diff = run_cli("diff", str(repo), env={"FASTIO_TOKEN": TOKEN})
    assert diff.returncode == 1 and "agent beta: OutOfSync" in diff.stdout
    assert before < stub.uploads
    assert all(r[2].get("lock_token") for r in stub.requests if r[0] == "DELETE" and r[1].endswith("/lock/"))
    for _, _, fields in stub.requests:
        assert TOKEN not in json.dumps(fields)


def test_missing_token_is_a_clear_error(tmp_path: Path, stub: FastioStub) -> None:
    repo = _repo(tmp_path, stub)
    proc = run_cli("deploy", str(repo), "--no-smoke", "--no-writeback")
    assert proc.returncode == 2 and "FASTIO_TOKEN is not set" in proc.stderr and "Traceback" not in proc.stderr


def test_transient_500s_mid_upload_are_retried(tmp_path: Path, stub: FastioStub) -> None:
    repo = _repo(tmp_path, stub)
    stub.fail_uploads(after=5, times=2, mode="500")
    rc, _, err = _deploy(repo)
    assert rc == 0, err
    assert stub.files("agents/alpha")["system_prompt.md"] == b"You are alpha at Acme. v1\n"
    assert run_cli("diff", str(repo), env={"FASTIO_TOKEN": TOKEN}).returncode == 0


@pytest.mark.parametrize("mode", ["500", "timeout"])
def test_persistent_failure_mid_upload_keeps_old_release_live(tmp_path: Path, stub: FastioStub, mode: str) -> None:
    repo = _repo(tmp_path, stub)
    assert _deploy(repo)[0] == 0
    old = {p: stub.files(p) for p in ("agents/alpha", "agents/beta", "knowledge")}
    write(repo / "agents/alpha/system_prompt.md", "v2 {{ company }}\n")
    write(repo / "knowledge/shared/doc0002.md", "v2\n")
    commit_all(repo, "v2")
    stub.fail_uploads(after=0, times=None, mode=mode, delay=1.5)
    rc, _data, err = _deploy(repo)
    assert rc == 1, err
    assert "failed after 4 attempts" in err and "Traceback" not in err
    assert {p: stub.files(p) for p in old} == old  # nothing half-swapped
    stub.fault = None
    rc, _, err = _deploy(repo)
    assert rc == 0, err
    assert stub.files("agents/alpha")["system_prompt.md"] == b"v2 Acme\n"
    assert run_cli("diff", str(repo), env={"FASTIO_TOKEN": TOKEN}).returncode == 0


def test_waits_for_indexing_when_intelligence_is_on(tmp_path: Path, stub: FastioStub) -> None:
    stub.intelligence, stub.index_delay = True, 2.5
    repo = _repo(tmp_path, stub)
    rc, data, err = _deploy(repo)
    assert rc == 0, err
    knowledge = next(a for a in data["areas"] if a["name"] == "knowledge")
    assert knowledge["indexed"] is True
    docs = stub.find("knowledge/shared")
    assert docs is not None
    assert {n.to_json(stub)["ai"]["state"] for n in stub.children(docs.id)} == {"ready"}
    assert any(r[1].endswith("/details/") for r in stub.requests)  # the intelligence flag was read
    assert stub.polls >= 1  # waited on the activity long-poll, not a busy loop


def test_lease_lock_on_a_file_node(stub: FastioStub) -> None:
    from agentci.deploy.backends.fastio import FastioBackend

    a = FastioBackend(stub.workspace_id, TOKEN, stub.url)
    b = FastioBackend(stub.workspace_id, TOKEN, stub.url)
    lease = a.lock_acquire("deploy", "a", ttl=2)
    assert lease is not None and b.lock_acquire("deploy", "b", ttl=2) is None
    assert a.lock_heartbeat(lease, 2)
    a.lock_release(lease)
    assert ("DELETE" in {r[0] for r in stub.requests if r[2].get("lock_token") == lease.token})
    assert b.lock_acquire("deploy", "b", ttl=2) is not None
