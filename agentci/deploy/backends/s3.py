"""The `s3` backend: an S3-compatible bucket through boto3 (imported lazily: `pip install agentci[s3]`).

Layout under `prefix` (all keys relative to it):

    .agentci/objects/sha256/<h[:2]>/<h>       file contents, named by their sha256: immutable
    .agentci/releases/<area key>/<id>.json    a release manifest, written after all its objects
    <area path>/.agentci-release.json         the live pointer: a copy of the live manifest
    anything else (state, deployment.log, memory, snapshots, locks): a plain object at its path

Read protocol (what an agent or a tool does to see one whole release of an area):
  1. GET `<prefix>agents/<name>/.agentci-release.json` once; it is
     `{"format": "agentci-release/1", "release": ID, "files": {PATH: SHA256}}`;
  2. GET `<prefix>.agentci/objects/sha256/<h[:2]>/<h>` for each file it lists.
A deploy replaces the pointer with one PUT (S3 replaces an object atomically) guarded by
`If-Match: <etag it read>`, and never rewrites an object: a reader that read the pointer once
sees exactly one release. Old objects are deleted only when a release falls out of the kept
window (10 per area); a reader that gets 404 on an object re-reads the pointer.

The deploy lease is a plain object created with `If-None-Match: *` and renewed/released with
`If-Match: <etag>`; expiry is judged on the store's clock (`Last-Modified` vs the response
`Date`), so runners with skewed clocks cannot take over a live lease. Conditional writes are
documented at https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
(412 Precondition Failed when the condition fails, 409 ConditionalRequestConflict on a
concurrent conflicting write: retry). Before the first lease a probe checks the endpoint
honours them (a store that ignores the header would make the lock a no-op).
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import secrets
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Any

from agentci.deploy.backends.base import AreaRef, Backend, BackendError, Lease
from agentci.deploy.backends.s3_store import Conflict, S3Store
from agentci.errors import AgentciError

POINTER = ".agentci-release.json"
OBJECTS = ".agentci/objects/sha256"
RELEASES = ".agentci/releases"
LOCKS = ".agentci/locks"
FORMAT = "agentci-release/1"
#: paths whose files live in releases (desired.py: KNOWLEDGE, POLICIES, agents/<name>)
FLAT_AREAS = ("knowledge", ".agentci/policies")


class S3Backend(S3Store, Backend):
    name = "s3"
    hash_algo = "sha256"

    def __init__(
        self, client: Any, bucket: str, prefix: str = "", *, workers: int = 8, where: str = ""
    ) -> None:
        S3Store.__init__(self, client, bucket, prefix)
        self.workers = max(1, workers)
        self.where = where
        self._etags: dict[
            str, str | None
        ] = {}  # pointer key -> ETag last seen (for the conditional swap)
        self._probed = False
        self._collect = False

    @classmethod
    def from_config(cls, options: dict[str, Any]) -> S3Backend:
        bucket = options.get("bucket")
        if not isinstance(bucket, str) or not bucket:
            raise AgentciError(
                "agentci.yaml workspace.s3.bucket is not set",
                hint="workspace: {backend: s3, s3: {bucket: my-bucket, prefix: prod/, region: eu-west-1}}",
            )
        try:
            import boto3
            from botocore.config import Config as BotoConfig
        except ImportError:
            raise AgentciError(
                "the s3 backend needs boto3, which is not installed",
                hint="pip install 'agentci[s3]'",
            ) from None
        endpoint = options.get("endpoint_url") or None
        timeout = float(options.get("timeout", 30))
        workers = int(options.get("workers", 8))
        cfg = BotoConfig(
            connect_timeout=timeout,
            read_timeout=timeout,
            max_pool_connections=workers + 2,
            retries={"max_attempts": int(options.get("retries", 4)) + 1, "mode": "standard"},
            s3={
                "addressing_style": options.get("addressing_style")
                or ("path" if endpoint else "auto")
            },
        )
        if endpoint:
            # Third-party stores (GCS interop, older MinIO) reject the CRC checksums boto3 adds by default.
            cfg = cfg.merge(
                BotoConfig(
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                )
            )
        client = boto3.session.Session().client(
            "s3", region_name=options.get("region") or None, endpoint_url=endpoint, config=cfg
        )
        prefix = str(options.get("prefix") or "")
        where = f"s3://{bucket}/{prefix.strip('/')}" + (f" at {endpoint}" if endpoint else "")
        return cls(client, bucket, prefix, workers=workers, where=where)

    def describe(self) -> str:
        return self.where or f"s3://{self.bucket}/{self.prefix}"

    # -- plain files -------------------------------------------------------------------
    def _area_of(self, path: str) -> tuple[str, str] | None:
        """(area path, path inside it) for a path that lives in a release, else None."""
        norm = posixpath.normpath("/" + path).lstrip("/")
        for top in FLAT_AREAS:
            if norm.startswith(top + "/"):
                return top, norm[len(top) + 1 :]
        parts = norm.split("/", 2)
        if len(parts) == 3 and parts[0] == "agents":
            return f"agents/{parts[1]}", parts[2]
        return None

    def read(self, path: str) -> bytes | None:
        inside = self._area_of(path)
        if inside is None:
            got = self._get(self._key(path))
            return got[0] if got else None
        pointer = self._pointer(inside[0])
        digest = (pointer or {}).get("files", {}).get(inside[1])
        if not isinstance(digest, str):
            return None
        got = self._get(self._object(digest))
        return got[0] if got else None

    def exists(self, path: str) -> bool:
        if self._area_of(path) is not None:
            return self.read(path) is not None
        return self._head(self._key(path)) is not None

    def write(self, path: str, data: bytes) -> None:
        self._put(self._key(path), data)  # one PUT replaces an object atomically

    def append(self, path: str, data: bytes) -> None:
        # S3 has no append: read, then write back only if nobody wrote in between (If-Match).
        key = self._key(path)
        for _ in range(20):
            got = self._get(key)
            try:
                if got is None:
                    self._put(key, data, IfNoneMatch="*")
                else:
                    self._put(key, got[0] + data, IfMatch=str(got[1].get("ETag")))
                return
            except Conflict:
                time.sleep(0.05)
        raise BackendError(f"S3: could not append to {path}: it kept changing underneath")

    def delete(self, path: str) -> None:
        key = self._key(path)
        keys, _ = self._list(key + "/")
        for k in keys:  # a "directory": everything below it
            self._delete(k)
        self._delete(key)

    # -- releases ----------------------------------------------------------------------
    def _object(self, digest: str) -> str:
        return f"{self.prefix}{OBJECTS}/{digest[:2]}/{digest}"

    def _manifest_key(self, area: AreaRef, release: str) -> str:
        return f"{self.prefix}{RELEASES}/{area.key}/{release}.json"

    def _pointer_key(self, area_path: str) -> str:
        return self._key(f"{area_path}/{POINTER}")

    def _pointer(self, area_path: str) -> dict[str, Any] | None:
        key = self._pointer_key(area_path)
        got = self._get(key)
        self._etags[key] = str(got[1].get("ETag")) if got else None
        return _manifest(got[0]) if got else None

    def live_files(self, area: AreaRef) -> dict[str, str] | None:
        pointer = self._pointer(area.path)
        return dict(pointer["files"]) if pointer else None

    def live_release(self, area: AreaRef) -> str | None:
        pointer = self._pointer(area.path)
        return str(pointer["release"]) if pointer and pointer.get("release") else None

    def release_files(self, area: AreaRef, release: str) -> dict[str, str] | None:
        got = self._get(self._manifest_key(area, release))
        manifest = _manifest(got[0]) if got else None
        return dict(manifest["files"]) if manifest else None

    def stage_release(
        self, area: AreaRef, release: str, send: dict[str, bytes], keep: list[str], base: str | None
    ) -> None:
        files: dict[str, str] = {}
        if keep:
            carried = (
                (self.release_files(area, base) if base else None) or self.live_files(area) or {}
            )
            missing = [p for p in keep if p not in carried]
            if missing:
                raise BackendError(
                    f"release {base} of {area.key} has no {missing[0]}; re-run with --force"
                )
            files.update({p: carried[p] for p in keep})
        blobs: dict[str, bytes] = {}
        for rel, data in send.items():
            files[rel] = self.digest(data)
            blobs[files[rel]] = data
        self._upload(blobs)
        # The manifest goes last: a run killed before this line leaves only unreferenced objects.
        body = {
            "format": FORMAT,
            "area": area.key,
            "release": release,
            "files": dict(sorted(files.items())),
        }
        self._put(self._manifest_key(area, release), _dumps(body))

    def _upload(self, blobs: dict[str, bytes]) -> None:
        """PUT the objects the bucket lacks (HEAD first: content-addressed, so present means same bytes)."""
        if not blobs:
            return

        def one(item: tuple[str, bytes]) -> None:
            digest, data = item
            key = self._object(digest)
            head = self._head(key)
            # Present under its hash means the same bytes, unless someone overwrote it by hand:
            # a size that differs is caught here (and re-sent), same-size edits are not.
            if head is None or head.get("ContentLength") != len(data):
                self._put(key, data)

        with ThreadPoolExecutor(max_workers=min(self.workers, len(blobs))) as pool:
            list(pool.map(one, blobs.items()))  # list(): re-raise the first failure

    def swap_release(self, area: AreaRef, release: str | None) -> None:
        key = self._pointer_key(area.path)
        if key not in self._etags:
            self._pointer(area.path)
        etag = self._etags[key]
        if release is None:
            self._delete(key)
            self._etags[key] = None
            return
        got = self._get(self._manifest_key(area, release))
        if got is None:
            raise BackendError(f"release {release} of {area.key} is not staged")
        try:
            self._etags[key] = self._put(
                key, got[0], **({"IfMatch": etag} if etag else {"IfNoneMatch": "*"})
            )
        except Conflict:
            raise BackendError(
                f"the live pointer of {area.key} changed while this deploy held the lease "
                "(a writer that does not take agentci's lock?); nothing was swapped"
            ) from None

    def list_releases(self, area: AreaRef) -> list[str]:
        top = f"{self.prefix}{RELEASES}/{area.key}/"
        keys, _ = self._list(top)
        return sorted(
            k[len(top) : -5] for k in keys if k.endswith(".json") and "/" not in k[len(top) :]
        )

    def delete_release(self, area: AreaRef, release: str) -> None:
        self._delete(self._manifest_key(area, release))
        self._collect = True

    def live_areas(self, prefix: str) -> list[str]:
        top = self._key(prefix) + "/"
        keys, _ = self._list(top)
        return sorted(
            {
                k[len(top) :].split("/")[0]
                for k in keys
                if k[len(top) :].count("/") == 1 and k.endswith("/" + POINTER)
            }
        )

    def collect_garbage(self) -> None:
        """After releases were deleted: remove objects no kept manifest and no live pointer names
        (also the leftovers of killed runs, which no manifest ever named). Called under the lease."""
        if not self._collect:
            return
        self._collect = False
        referenced: set[str] = set()
        manifests, _ = self._list(f"{self.prefix}{RELEASES}/")
        pointers = [k for k in self._list(self.prefix)[0] if k.endswith("/" + POINTER)]
        for key in manifests + pointers:
            got = self._get(key)
            manifest = _manifest(got[0]) if got else None
            referenced.update((manifest or {}).get("files", {}).values())
        objects, _ = self._list(f"{self.prefix}{OBJECTS}/")
        for key in objects:
            if key.rsplit("/", 1)[-1] not in referenced:
                self._delete(key)

    # -- lease lock ----------------------------------------------------------------------
    def _lock_key(self, name: str) -> str:
        return f"{self.prefix}{LOCKS}/{name}.json"

    def _probe(self) -> None:
        """Refuse a store that ignores If-None-Match: with it the lease would not exclude anyone."""
        if self._probed:
            return
        key = f"{self.prefix}{LOCKS}/.probe-{secrets.token_hex(6)}"
        try:
            self._put(key, b"probe", IfNoneMatch="*")
            try:
                self._put(key, b"probe", IfNoneMatch="*")
            except Conflict:
                self._probed = True
        except BackendError as exc:
            raise _no_conditional(self.describe(), str(exc)) from None
        finally:
            self._delete(key)
        if not self._probed:
            raise _no_conditional(
                self.describe(), "a second If-None-Match: * PUT of the same key succeeded"
            )

    def _lease_body(self, owner: str, ttl: float, token: str, released: bool = False) -> bytes:
        return _dumps(
            {
                "owner": owner,
                "token": token,
                "ttl": ttl,
                "released": released,
                "pid": os.getpid(),
                "host": socket.gethostname(),
            }
        )

    def _read_lease(self, name: str) -> tuple[dict[str, Any], str, float] | None:
        """(lease, etag, seconds left on the store's clock), or None when there is no lease object."""
        got = self._get(self._lock_key(name))
        if got is None:
            return None
        try:
            data = json.loads(got[0])
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        resp = got[1]
        now = _server_now(resp)
        modified = resp.get("LastModified")
        age = now - modified.timestamp() if modified is not None else float("inf")
        raw = data.get("ttl")
        ttl = float(raw) if isinstance(raw, (int, float)) else 0.0
        # Both clocks are whole seconds: one second of slack so a fresh lease never looks expired.
        left = -1.0 if data.get("released") else ttl + 1.0 - age
        return data, str(resp.get("ETag")), left

    def lock_acquire(self, name: str, owner: str, ttl: float) -> Lease | None:
        self._probe()
        token = secrets.token_hex(16)
        body = self._lease_body(owner, ttl, token)
        extra: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname()}
        try:
            etag = self._put(self._lock_key(name), body, IfNoneMatch="*")
            return Lease(name, owner, token, time.time() + ttl, {**extra, "etag": etag})
        except Conflict:
            pass
        held = self._read_lease(name)
        if held is None or held[2] > 0:
            return None  # just released and retaken, or a live lease: try again later
        data, etag, _ = held
        try:
            new = self._put(self._lock_key(name), body, IfMatch=etag)
        except Conflict:
            return None  # another run took it over first
        stale = None if data.get("released") else {"owner": data.get("owner")}
        return Lease(
            name, owner, token, time.time() + ttl, {**extra, "etag": new, "took_over": stale}
        )

    def lock_heartbeat(self, lease: Lease, ttl: float) -> bool:
        try:
            lease.extra["etag"] = self._put(
                self._lock_key(lease.name),
                self._lease_body(lease.owner, ttl, lease.token),
                IfMatch=lease.extra["etag"],
            )
        except Conflict:
            return False  # taken over: the etag we hold is no longer the object's
        lease.expires_at = time.time() + ttl
        return True

    def lock_release(self, lease: Lease) -> None:
        # A released marker written with If-Match rather than a DELETE: conditional deletes are newer
        # and rarer among S3-compatible stores than conditional PUTs, and an unconditional DELETE
        # could remove a lease another run took over.
        with contextlib.suppress(Conflict):
            self._put(
                self._lock_key(lease.name),
                self._lease_body(lease.owner, 0, lease.token, released=True),
                IfMatch=lease.extra["etag"],
            )

    def lock_holder(self, name: str) -> dict[str, Any] | None:
        held = self._read_lease(name)
        if held is None or held[0].get("released"):
            return None
        data, _, left = held
        return {
            "owner": data.get("owner"),
            "expires_at": time.time() + left,
            "host": data.get("host"),
            "pid": data.get("pid"),
        }


def _no_conditional(where: str, why: str) -> AgentciError:
    return AgentciError(
        f"the S3 endpoint of {where} does not honour conditional writes ({why})",
        hint="agentci's lease and release swap need PutObject with If-None-Match/If-Match "
        "(AWS S3, Cloudflare R2, recent MinIO); see the README's S3 section",
        exit_code=1,
    )


def _server_now(resp: dict[str, Any]) -> float:
    date = resp.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).timestamp() if date else time.time()
    except (TypeError, ValueError):
        return time.time()


def _manifest(raw: bytes) -> dict[str, Any] | None:
    """A release manifest or pointer; anything else (hand-edited, truncated) is no release."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return None
    data["files"] = {
        k: v for k, v in data["files"].items() if isinstance(k, str) and isinstance(v, str)
    }
    return data


def _dumps(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()
