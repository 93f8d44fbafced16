"""The s3 backend end to end: the real CLI against moto's S3 server on 127.0.0.1, and a reader
that follows the documented read protocol (pointer object, then content-addressed objects)."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from deploy_helpers import commit_all, deploy, desired_areas, make_repo, popen_deploy, run_cli

from tests.servers.s3_moto import CREDENTIALS, MotoS3

AGENTS = [f"a{i}" for i in range(4)]


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


@pytest.fixture
def bucket(moto: MotoS3) -> str:
    return moto.bucket(f"t-{secrets.token_hex(6)}")


def s3_config(moto: MotoS3, bucket: str, prefix: str = "prod/", lock_ttl: float = 5) -> str:
    return (
        f"workspace:\n  backend: s3\n  lock_ttl: {lock_ttl}\n"
        f"  s3: {{bucket: {bucket}, prefix: {prefix}, endpoint_url: '{moto.url}', region: us-east-1}}\n"
    )


def s3_repo(tmp: Path, moto: MotoS3, bucket: str, lock_ttl: float = 5, **kw: Any) -> Path:
    repo = make_repo(tmp / "r", **kw)
    (repo / "agentci.yaml").write_text(s3_config(moto, bucket, lock_ttl=lock_ttl))
    commit_all(repo, "s3 workspace")
    return repo


def s3_deploy(repo: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    return deploy(repo, *args, env=CREDENTIALS)


def read_area(client: Any, bucket: str, prefix: str, area_path: str) -> dict[str, bytes] | None:
    """The README's read protocol: one GET of the pointer, then the objects it names."""
    try:
        pointer = json.loads(
            client.get_object(Bucket=bucket, Key=f"{prefix}{area_path}/.agentci-release.json")[
                "Body"
            ].read()
        )
    except client.exceptions.NoSuchKey:
        return None
    out = {}
    for path, digest in pointer["files"].items():
        data = client.get_object(
            Bucket=bucket, Key=f"{prefix}.agentci/objects/sha256/{digest[:2]}/{digest}"
        )["Body"].read()
        assert hashlib.sha256(data).hexdigest() == digest
        out[path] = data
    return out


def objects(client: Any, bucket: str, prefix: str) -> dict[str, Any]:
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.update({o["Key"]: o["LastModified"] for o in page.get("Contents", [])})
    return out


def test_deploy_is_incremental_and_readable_by_the_protocol(
    tmp_path: Path, moto: MotoS3, bucket: str
) -> None:
    repo = s3_repo(tmp_path, moto, bucket, agents=AGENTS, knowledge_files=30)
    client = moto.client()
    rc, data, err = s3_deploy(repo)
    assert rc == 0, err
    assert data["backend"] == "s3" and data["workspace"].startswith(f"s3://{bucket}/prod")
    want = desired_areas(repo, "HEAD")
    for path, files in want.items():
        assert read_area(client, bucket, "prod/", path) == files, path
    blobs = objects(client, bucket, "prod/.agentci/objects/")
    assert len(blobs) == len(
        {hashlib.sha256(b).hexdigest() for f in want.values() for b in f.values()}
    )

    # One prompt changes: exactly one new object is sent; the others are not touched.
    (repo / "agents/a1/system_prompt.md").write_text("You are a1, now v2.\n")
    commit_all(repo, "v2")
    time.sleep(1.1)  # LastModified has one-second resolution
    rc, data, err = s3_deploy(repo)
    assert rc == 0, err
    sent = {a["name"]: a["files_sent"] for a in data["agents"]} | {
        a["name"]: a["files_sent"] for a in data["areas"]
    }
    assert sent == {"a0": 0, "a1": 1, "a2": 0, "a3": 0, "knowledge": 0, "policies": 0}
    after = objects(client, bucket, "prod/.agentci/objects/")
    assert set(after) - set(blobs) == {
        f"prod/.agentci/objects/sha256/{h[:2]}/{h}"
        for h in [hashlib.sha256(b"You are a1, now v2.\n").hexdigest()]
    }
    assert all(after[k] == blobs[k] for k in blobs)  # unchanged objects were not re-sent
    assert (
        read_area(client, bucket, "prod/", "agents/a1")["system_prompt.md"]
        == b"You are a1, now v2.\n"
    )

    # --force rebuilds every release: objects already stored under their hash are not sent again,
    # but one a person truncated by hand is.
    broken = next(iter(blobs))
    client.put_object(Bucket=bucket, Key=broken, Body=b"truncated")
    before = objects(client, bucket, "prod/.agentci/objects/")
    time.sleep(1.1)
    rc, data, err = s3_deploy(repo, "--force")
    assert rc == 0, err
    forced = objects(client, bucket, "prod/.agentci/objects/")
    assert [k for k in forced if forced[k] != before[k]] == [broken]
    for path, files in desired_areas(repo, "HEAD").items():
        assert read_area(client, bucket, "prod/", path) == files, path

    # status and diff read the same workspace; a second deploy sends nothing.
    assert run_cli("diff", str(repo), env=CREDENTIALS).returncode == 0
    status = json.loads(run_cli("status", str(repo), "--format", "json", env=CREDENTIALS).stdout)
    assert {a["name"]: (a["sync"], a["health"]) for a in status["agents"]} == {
        n: ("Synced", "Healthy") for n in AGENTS
    }
    rc, data, _ = s3_deploy(repo)
    assert rc == 0 and sum(a["files_sent"] for a in data["agents"]) == 0


def test_hand_edited_pointer_is_drift_and_deploy_repairs_it(
    tmp_path: Path, moto: MotoS3, bucket: str
) -> None:
    repo = s3_repo(tmp_path, moto, bucket, agents=["alpha"], knowledge_files=2)
    client = moto.client()
    assert s3_deploy(repo)[0] == 0
    key = "prod/agents/alpha/.agentci-release.json"
    pointer = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    pointer["files"]["system_prompt.md"] = hashlib.sha256(b"x").hexdigest()
    client.put_object(Bucket=bucket, Key=key, Body=json.dumps(pointer).encode())
    diff = run_cli("diff", str(repo), env=CREDENTIALS)
    assert diff.returncode == 1 and "~ system_prompt.md" in diff.stdout, diff.stdout + diff.stderr
    rc, _, err = s3_deploy(repo)
    assert rc == 0, err
    assert run_cli("diff", str(repo), env=CREDENTIALS).returncode == 0


def test_memory_is_snapshotted_and_restored(tmp_path: Path, moto: MotoS3, bucket: str) -> None:
    repo = s3_repo(tmp_path, moto, bucket, agents=["alpha"], knowledge_files=1)
    client = moto.client()
    assert s3_deploy(repo)[0] == 0
    first = json.loads(run_cli("status", str(repo), "--format", "json", env=CREDENTIALS).stdout)[
        "agents"
    ][0]
    client.put_object(Bucket=bucket, Key="prod/memory/alpha.json", Body=b'{"turns": 1}')
    old_sha = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    (repo / "agents/alpha/system_prompt.md").write_text("v2\n")
    commit_all(repo, "v2")
    rc, data, err = s3_deploy(repo)
    assert rc == 0 and data["agents"][0]["memory"] == "snapshot", err
    snap = f"prod/.agentci/memory/alpha/{first['release']}.snapshot"
    assert client.get_object(Bucket=bucket, Key=snap)["Body"].read() == b'{"turns": 1}'
    client.put_object(Bucket=bucket, Key="prod/memory/alpha.json", Body=b'{"turns": 99}')
    rc, data, err = s3_deploy(repo, "--ref", old_sha, "--restore-memory")
    assert rc == 0 and data["agents"][0]["memory"] == "restored", err
    assert (
        client.get_object(Bucket=bucket, Key="prod/memory/alpha.json")["Body"].read()
        == b'{"turns": 1}'
    )


def test_prune_is_opt_in_and_old_releases_are_collected(
    tmp_path: Path, moto: MotoS3, bucket: str
) -> None:
    repo = s3_repo(tmp_path, moto, bucket, agents=["alpha", "beta"], knowledge_files=1)
    client = moto.client()
    for i in range(13):  # more releases than the 10 kept
        (repo / "agents/alpha/system_prompt.md").write_text(f"alpha v{i}\n")
        commit_all(repo, f"v{i}")
        assert s3_deploy(repo)[0] == 0
    manifests = [k for k in objects(client, bucket, "prod/.agentci/releases/agents/alpha/")]
    assert len(manifests) == 10
    referenced = set()
    for key in objects(client, bucket, "prod/.agentci/releases/"):
        referenced |= set(
            json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())["files"].values()
        )
    stored = {k.rsplit("/", 1)[-1] for k in objects(client, bucket, "prod/.agentci/objects/")}
    assert stored == referenced  # the 3 dropped releases' own prompts are gone, nothing kept is
    (repo / "agents/beta").rename(tmp_path / "beta-gone")
    commit_all(repo, "drop beta")
    rc, data, _ = s3_deploy(repo)
    assert (
        rc == 0 and read_area(client, bucket, "prod/", "agents/beta") is not None
    )  # not pruned by default
    assert any(a["name"] == "beta" and a["sync"] == "OutOfSync" for a in data["agents"])
    rc, data, _ = s3_deploy(repo, "--prune")
    assert rc == 0 and read_area(client, bucket, "prod/", "agents/beta") is None


def test_lease_by_conditional_writes(
    moto: MotoS3, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentci.deploy.backends.s3 import S3Backend

    for k, v in CREDENTIALS.items():
        monkeypatch.setenv(k, v)
    b = S3Backend.from_config({"bucket": bucket, "prefix": "lk", "endpoint_url": moto.url})
    first = b.lock_acquire("deploy", "run 1", ttl=1.0)
    assert first is not None
    assert b.lock_acquire("deploy", "run 2", ttl=1.0) is None
    assert b.lock_holder("deploy")["owner"] == "run 1"
    for _ in range(3):  # a live holder that renews is never taken over
        time.sleep(0.9)
        assert b.lock_heartbeat(first, 1.0)
        assert b.lock_acquire("deploy", "intruder", ttl=1.0) is None
    t0 = (
        time.monotonic()
    )  # the holder dies: taken over once expired on the store's clock, never before
    while (second := b.lock_acquire("deploy", "run 2", ttl=1.0)) is None:
        time.sleep(0.2)
    waited = time.monotonic() - t0
    assert 1.0 <= waited < 5, waited
    assert second.extra["took_over"] == {"owner": "run 1"}
    assert not b.lock_heartbeat(first, 1.0)  # the old holder learns it lost the lease
    b.lock_release(first)  # a stale release does not free the new holder's lease
    assert b.lock_acquire("deploy", "run 3", ttl=1.0) is None
    b.lock_release(second)
    assert b.lock_holder("deploy") is None
    assert b.lock_acquire("deploy", "run 3", ttl=1.0) is not None


def _popen(repo: Path, *args: str) -> subprocess.Popen[str]:
    return popen_deploy(repo, *args, env=CREDENTIALS, drop=("AWS_",))


def test_two_deploys_at_once_serialise(tmp_path: Path, moto: MotoS3, bucket: str) -> None:
    repo = s3_repo(tmp_path, moto, bucket, agents=AGENTS, knowledge_files=100)
    first, second = _popen(repo), _popen(repo)
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    sent = sorted(sum(a["files_sent"] for a in json.loads(o)["areas"]) for o in (out1, out2))
    assert sent == [0, 100 + len(AGENTS)]
    log = (
        moto.client()
        .get_object(Bucket=bucket, Key="prod/deployment.log")["Body"]
        .read()
        .decode()
        .splitlines()
    )
    a, b = sorted((json.loads(line) for line in log), key=lambda e: e["locked_at"])
    assert a["finished_at"] <= b["locked_at"]


def test_kill_minus_9_at_random_points_leaves_whole_releases(
    tmp_path: Path, moto: MotoS3, bucket: str
) -> None:
    """The local backend's kill trials, against S3: after each kill every area a reader finds
    through its pointer is the old or the new release, and the next deploy finishes the job."""
    rng = random.Random(99)
    repo = s3_repo(tmp_path, moto, bucket, agents=AGENTS, knowledge_files=120, lock_ttl=1)
    client = moto.client()
    assert s3_deploy(repo)[0] == 0

    def new_commit(n: int) -> str:
        for i in rng.sample(range(120), 40):
            (repo / f"knowledge/shared/doc{i:04d}.md").write_text(f"trial {n} doc {i}\n" * 20)
        for name in rng.sample(AGENTS, 2):
            (repo / f"agents/{name}/system_prompt.md").write_text(f"You are {name}, trial {n}.\n")
        return commit_all(repo, f"trial {n}")

    t0 = time.monotonic()
    prev = new_commit(-1)
    assert s3_deploy(repo)[0] == 0
    duration = time.monotonic() - t0
    prev_areas = desired_areas(repo, prev)
    trials, inconsistent, killed_mid, reruns_ok = 20, 0, 0, 0
    started = time.monotonic()
    for n in range(trials):
        target = new_commit(n)
        want = desired_areas(repo, target)
        proc = _popen(repo)
        assert proc.stderr is not None
        if n % 2:
            time.sleep(rng.uniform(0, duration))
        else:
            for _ in range(rng.randrange(1, 5)):  # after the k-th progress line (one per swap)
                if not proc.stderr.readline():
                    break
            time.sleep(rng.uniform(0, 0.05))
        killed_mid += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        for path in want:
            live = read_area(client, bucket, "prod/", path)
            if live != want[path] and live != prev_areas[path]:
                inconsistent += 1
                print(f"trial {n}: {path} is a mix", file=sys.stderr)
        rc, _data, err = s3_deploy(repo)
        if rc == 0 and all(read_area(client, bucket, "prod/", p) == want[p] for p in want):
            reruns_ok += 1
        else:
            print(f"trial {n}: re-run rc={rc} {err[-300:]}", file=sys.stderr)
        prev, prev_areas = target, want
    print(
        f"\ns3 kill -9 trials: {trials}, killed mid-run: {killed_mid}, inconsistent states: {inconsistent}, "
        f"re-runs ending Synced: {reruns_ok}/{trials}, deploy {duration:.2f}s, total {time.monotonic() - started:.1f}s"
    )
    assert inconsistent == 0
    assert reruns_ok == trials
    assert killed_mid >= trials // 3
    assert run_cli("diff", str(repo), env=CREDENTIALS).returncode == 0


def test_missing_bucket_and_missing_boto_config_are_clear_errors(
    tmp_path: Path, moto: MotoS3
) -> None:
    repo = make_repo(tmp_path / "r", agents=["alpha"], knowledge_files=1)
    (repo / "agentci.yaml").write_text(s3_config(moto, "no-such-bucket"))
    commit_all(repo, "wrong bucket")
    proc = run_cli("deploy", str(repo), "--no-writeback", "--no-smoke", env=CREDENTIALS)
    assert (
        proc.returncode == 1
        and "Traceback" not in proc.stderr
        and "internal error" not in proc.stderr
    ), proc.stderr
    assert "NoSuchBucket" in proc.stderr
    (repo / "agentci.yaml").write_text("workspace:\n  backend: s3\n  s3: {prefix: x/}\n")
    commit_all(repo, "no bucket")
    proc = run_cli("deploy", str(repo), "--no-writeback", "--no-smoke", env=CREDENTIALS)
    assert (
        proc.returncode == 1 and "agentci.yaml:3: workspace.s3: 'bucket' is required" in proc.stderr
    ), proc.stderr


def test_a_store_that_ignores_conditional_writes_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An S3 endpoint that stores every PUT whatever its If-None-Match (as a store without
    conditional-write support does) would make the lease exclude nobody: the probe refuses it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from agentci.deploy.backends.s3 import S3Backend
    from agentci.errors import AgentciError

    class Careless(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("ETag", f'"{secrets.token_hex(8)}"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_DELETE(self) -> None:
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Careless)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for k, v in CREDENTIALS.items():
            monkeypatch.setenv(k, v)
        url = f"http://127.0.0.1:{server.server_address[1]}"
        backend = S3Backend.from_config({"bucket": "b", "endpoint_url": url, "retries": 0})
        with pytest.raises(AgentciError, match="does not honour conditional writes"):
            backend.lock_acquire("deploy", "run", ttl=5)
    finally:
        server.shutdown()
        server.server_close()
