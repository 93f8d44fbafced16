"""The Fast.io lease, the envelope and checked replays, against the stand-in (no CLI subprocess)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastio_helpers import KEY, check_deployed, fastio_repo, fdeploy

from agentci.deploy.backends.fastio import FastioBackend, FastioError
from agentci.deploy.backends.fastio.client import unwrap
from tests.servers.fastio_server import FastioServer


@pytest.fixture
def fio():  # type: ignore[no-untyped-def]
    with FastioServer(token=KEY) as server:
        yield server


def _backend(fio: FastioServer) -> FastioBackend:
    return FastioBackend(fio.workspace_id, KEY, fio.url, timeout=3)


def test_envelope_in_both_shapes_and_no_means_failure() -> None:
    assert unwrap({"result": True, "id": "u1", "current_api_version": "1"}, 200) == {"id": "u1"}
    assert unwrap({"result": "yes", "response": {"id": "u1"}}, 200) == {"id": "u1"}
    for body in (
        {"result": False, "error_message": "nope"},
        {"result": "no", "error": {"code": 1, "text": "nope"}},
        {"id": "no result at all"},
        ["not", "an", "object"],
    ):
        with pytest.raises(FastioError):
            unwrap(body, 200)


@pytest.mark.parametrize("reacquire", ["refuse", "regrant", "share"])
def test_same_key_runs_never_both_hold_the_lease(fio: FastioServer, reacquire: str) -> None:
    """Whatever Fast.io answers a second acquire by the same user, one run holds the lease."""
    fio.reacquire = reacquire
    a, b = _backend(fio), _backend(fio)
    lease = a.lock_acquire("deploy", "run a", ttl=5)
    assert lease is not None
    assert b.lock_acquire("deploy", "run b", ttl=5) is None
    assert b.lock_holder("deploy") == {
        "owner": "run a",
        "expires_at": pytest.approx(fio.now() + 60, abs=5),
    }
    assert a.lock_heartbeat(lease, 5)
    a.lock_release(lease)
    assert fio.locked_nodes() == []
    second = b.lock_acquire("deploy", "run b", ttl=5)
    assert second is not None
    b.lock_release(second)
    # Heartbeat and release carry lock_token in the form, never in the query string (locking.rs:55-101).
    sent = [
        r
        for r in fio.requests
        if r["path"].endswith(("/lock/heartbeat", "/lock")) and r["method"] != "GET"
    ]
    assert {r["method"] for r in sent} == {"POST", "DELETE"}
    for r in sent:
        assert "lock_token" not in r["query"]
        if r["path"].endswith("/lock/heartbeat") or r["method"] == "DELETE":
            assert r["form"].get("lock_token")


@pytest.mark.parametrize("reacquire", ["refuse", "regrant", "share"])
def test_simultaneous_acquires_by_the_same_key(fio: FastioServer, reacquire: str) -> None:
    fio.reacquire = reacquire
    backends = [_backend(fio) for _ in range(5)]
    holders_max, rounds_won = 0, 0
    for _ in range(4):
        got: list[object] = []
        barrier = threading.Barrier(len(backends))

        def take(b: FastioBackend, barrier: threading.Barrier, got: list[object]) -> None:
            barrier.wait()
            lease = b.lock_acquire("deploy", "racer", ttl=5)
            if lease is not None:
                got.append((b, lease))

        threads = [threading.Thread(target=take, args=(b, barrier, got)) for b in backends]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        holders_max = max(holders_max, len(got))
        rounds_won += bool(got)
        for b, lease in got:  # type: ignore[misc]
            b.lock_release(lease)
    assert holders_max <= 1
    print(
        f"\nsame-key race ({reacquire}): 5 runs x 4 rounds, rounds with a holder {rounds_won}, max holders {holders_max}"
    )


def test_duration_is_kept_within_60_to_3600(fio: FastioServer) -> None:
    b = _backend(fio)
    for ttl, want in ((5, "60"), (120, "120"), (10**6, "3600")):
        lease = b.lock_acquire("deploy", "x", ttl=ttl)
        assert lease is not None
        assert [
            r["form"]["duration"]
            for r in fio.requests
            if r["path"].endswith("/lock") and r["method"] == "POST"
        ][-1] == want
        b.lock_release(lease)


def test_dead_holder_is_taken_over_only_after_its_lock_expires(fio: FastioServer) -> None:
    dead, live = _backend(fio), _backend(fio)
    lease = dead.lock_acquire("deploy", "dead run", ttl=5)
    assert lease is not None
    fio.advance(30)
    assert live.lock_acquire("deploy", "next run", ttl=5) is None  # 60 s lock still running
    fio.advance(31)
    taken = live.lock_acquire("deploy", "next run", ttl=5)
    assert taken is not None and taken.extra["took_over"] == {"owner": "dead run"}
    assert not dead.lock_heartbeat(
        lease, 5
    )  # the dead run, were it alive, learns it lost the lease


@pytest.mark.parametrize(
    "where,mode",
    [
        ("/move/", "after-500"),
        ("/copy/", "after-500"),
        ("POST upload/ new.md", "after-500"),
        ("POST upload/ new.md", "after-timeout"),
        ("/createfolder/", "after-500"),
    ],
)
def test_non_idempotent_posts_are_checked_before_a_replay(
    tmp_path: Path, fio: FastioServer, where: str, mode: str
) -> None:
    repo = fastio_repo(tmp_path / "r", fio, big=False, knowledge=3)
    assert fdeploy(repo)[0] == 0
    (repo / "agents/alpha/system_prompt.md").write_text("v2 {{ company }}\n")
    (repo / "knowledge/shared/new.md").write_text("new\n")
    from deploy_helpers import commit_all

    commit_all(repo, "v2")
    fio.fault(
        where, after=0, times=1, mode=mode, delay=11.0
    )  # past the 10 s client timeout  # the request runs, its answer is lost
    rc, _, err = fdeploy(repo)
    assert rc == 0, err
    assert any(f.seen for f in fio.faults)
    check_deployed(fio, repo)  # no twin from a replay


def test_bookkeeping_goes_to_the_state_workspace(tmp_path: Path) -> None:
    with FastioServer(token=KEY, other_workspaces=("books1",)) as fio:
        repo = fastio_repo(
            tmp_path / "r", fio, big=False, knowledge=2, extra=", state_workspace_id: books1"
        )
        rc, _, err = fdeploy(repo)
        assert rc == 0, err
        live, books = fio.paths(), fio.paths("books1")
        assert "agents/alpha/system_prompt.md" in live and "knowledge/shared/doc0001.md" in live
        assert (
            not [
                p
                for p in live
                if p.startswith(".agentci/")
                and not p.endswith("/")
                and not p.startswith(".agentci/releases")
                and not p.startswith(".agentci/policies")
            ]
            and "deployment.log" not in live
        )
        prefix = f"agentci-{fio.workspace_id}/"
        assert f"{prefix}.agentci/state.json" in books and f"{prefix}deployment.log" in books
        assert fdeploy(repo)[0] == 0  # the lease lives there too and was released
        assert fio.locked_nodes() == []


def test_a_deploy_waits_for_the_lease_held_by_another_run(
    tmp_path: Path, fio: FastioServer
) -> None:
    repo = fastio_repo(tmp_path / "r", fio, big=False, knowledge=2)
    other = _backend(fio)
    lease = other.lock_acquire("deploy", "the other run", ttl=120)
    assert lease is not None
    timer = threading.Timer(8.0, other.lock_release, args=(lease,))  # outlasts a slow CLI start-up
    timer.start()
    before = len(fio.requests)
    rc, _, err = fdeploy(repo)
    timer.join()
    assert rc == 0, err
    assert "waiting for the workspace lock held by the other run" in err
    claims = fio.find(".agentci/locks/deploy")
    assert claims is not None
    waiting = [r for r in fio.requests[before:] if r["path"].endswith(f"{claims.id}/list")]
    assert len(waiting) < 20  # about one listing a second for the 8 s wait, not a busy loop
    check_deployed(fio, repo)
