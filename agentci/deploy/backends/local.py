"""The `local` backend: the workspace is a directory.

Each area's releases live under `.agentci/releases/<key>/<release>/`; the area's path
(`agents/<name>`, `knowledge`, ...) is a relative symlink to the live one. A swap writes
a new symlink under a temporary name and `os.replace`s it over the old one: rename(2)
is atomic, so a reader opening `agents/<name>/system_prompt.md` resolves either the old
or the new release directory, never a mix. Releases are built in a `.tmp-*` directory
and renamed into place only when complete, so a run killed mid-build leaves nothing that
looks like a release. Unchanged files are hard-linked from the live release (not sent).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import posixpath
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from agentci.deploy.backends.base import AreaRef, Backend, Lease, holder_dead, identity
from agentci.errors import AgentciError
from agentci.files import flocked, write_atomic

RELEASES = ".agentci/releases"
LOCKS = ".agentci/locks"


class LocalBackend(Backend):
    name = "local"
    hash_algo = "sha256"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _ensure(self) -> None:
        if not self.root.is_dir():
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # e.g. the path, or a parent of it, is a file
                raise AgentciError(
                    f"cannot create the workspace directory {self.root}: {exc.strerror}",
                    hint="point workspace.path (or --workspace) at a directory",
                ) from None
            # The default workspace sits inside the repo: keep it out of `git add -A`.
            (self.root / ".gitignore").write_text("# agentci workspace: not part of the repo\n*\n")

    @classmethod
    def from_config(cls, options: dict[str, Any]) -> LocalBackend:
        path = Path(options["path"])
        if path.exists() and not path.is_dir():
            raise AgentciError(
                f"the workspace path {path} is a file, not a directory",
                hint="point workspace.path (or --workspace) at a directory",
            )
        return cls(path)

    def describe(self) -> str:
        return str(self.root)

    def _p(self, path: str) -> Path:
        # Anchoring at "/" before normalising makes ".." stop at the workspace root.
        norm = posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")
        return self.root / norm if norm else self.root

    # -- plain files -------------------------------------------------------------------
    def read(self, path: str) -> bytes | None:
        try:
            return self._p(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def write(self, path: str, data: bytes) -> None:
        self._ensure()
        write_atomic(self._p(path), data)

    def append(self, path: str, data: bytes) -> None:
        self._ensure()
        target = self._p(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data)  # one write(2) with O_APPEND: lines from two runs never interleave
        finally:
            os.close(fd)

    def delete(self, path: str) -> None:
        target = self._p(path)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()

    # -- releases ----------------------------------------------------------------------
    def _release_dir(self, area: AreaRef, release: str) -> Path:
        return self.root / RELEASES / area.key / release

    def _hash_tree(self, top: Path) -> dict[str, str]:
        out: dict[str, str] = {}
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            rel = os.path.relpath(dirpath, top)
            for name in filenames:
                rp = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
                out[rp] = self.digest(Path(dirpath, name).read_bytes())
        return out

    def live_files(self, area: AreaRef) -> dict[str, str] | None:
        top = self._p(area.path)
        if not top.exists():
            return None
        if top.is_file():
            return {"": self.digest(top.read_bytes())}
        return self._hash_tree(top)

    def live_release(self, area: AreaRef) -> str | None:
        link = self._p(area.path)
        if not link.is_symlink():
            return None
        target = Path(os.readlink(link))
        release_root = self.root / RELEASES / area.key
        resolved = (link.parent / target).resolve() if not target.is_absolute() else target
        return resolved.name if resolved.parent == release_root.resolve() else None

    def release_files(self, area: AreaRef, release: str) -> dict[str, str] | None:
        top = self._release_dir(area, release)
        return self._hash_tree(top) if top.is_dir() else None

    def stage_release(
        self, area: AreaRef, release: str, send: dict[str, bytes], keep: list[str], base: str | None
    ) -> None:
        final = self._release_dir(area, release)
        base_dir = self._release_dir(area, base) if base else None
        if final.exists():
            # A release with this id but other content (hand-edited): readers move to a
            # hard-linked copy of it first, so the live path never dangles while it is rebuilt.
            stale = final.with_name(f".stale-{release}-{secrets.token_hex(3)}")
            shutil.copytree(final, stale, copy_function=os.link)
            if self.live_release(area) == release:
                self._point(area, stale)
            if base == release:
                base_dir = stale
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".tmp-{release}-{os.getpid()}-{secrets.token_hex(3)}")
        tmp.mkdir()
        for rel in keep:
            assert base_dir is not None
            dst = tmp / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(base_dir / rel, dst)
            except OSError:
                shutil.copy2(base_dir / rel, dst)
        for rel, data in send.items():
            dst = tmp / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(data)
        os.replace(tmp, final)

    def swap_release(self, area: AreaRef, release: str | None) -> None:
        link = self._p(area.path)
        link.parent.mkdir(parents=True, exist_ok=True)
        if release is None:
            if link.is_symlink():
                link.unlink()
            return
        if link.exists() and not link.is_symlink():
            # Files someone put there by hand: keep them, out of the way, then take the path.
            aside = self.root / RELEASES / area.key / f".unmanaged-{int(time.time())}"
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(link, aside)
        self._point(area, self._release_dir(area, release))

    def _point(self, area: AreaRef, directory: Path) -> None:
        link = self._p(area.path)
        tmp = link.with_name(f".{link.name}.swap-{os.getpid()}-{secrets.token_hex(3)}")
        os.symlink(os.path.relpath(directory, link.parent), tmp)
        os.replace(tmp, link)  # rename(2): readers resolve the old or the new target, never neither

    def list_releases(self, area: AreaRef) -> list[str]:
        top = self.root / RELEASES / area.key
        if not top.is_dir():
            return []
        return sorted(p.name for p in top.iterdir() if p.is_dir() and not p.name.startswith("."))

    def delete_release(self, area: AreaRef, release: str) -> None:
        shutil.rmtree(self._release_dir(area, release), ignore_errors=True)

    def sweep(self, area: AreaRef) -> None:
        top = self.root / RELEASES / area.key
        live = self._p(area.path).resolve() if self._p(area.path).is_symlink() else None
        for p in top.glob(".*") if top.is_dir() else []:
            if p.name.startswith((".tmp-", ".stale-")) and p.resolve() != live:
                shutil.rmtree(p, ignore_errors=True)

    def live_areas(self, prefix: str) -> list[str]:
        top = self._p(prefix)
        if not top.is_dir():
            return []
        return sorted(
            p.name
            for p in top.iterdir()
            if not p.name.startswith(".") and (p.is_symlink() or p.is_dir())
        )

    # -- lease lock --------------------------------------------------------------------
    # The lease lives in a JSON file; check-and-set happens under flock(2) on a guard file,
    # which the kernel releases when a holder dies, so the guard itself can never go stale.
    def _lock_paths(self, name: str) -> tuple[Path, Path]:
        self._ensure()
        top = self.root / LOCKS
        top.mkdir(parents=True, exist_ok=True)
        return top / f"{name}.json", top / f"{name}.guard"

    def _guard(self, guard: Path) -> contextlib.AbstractContextManager[None]:
        return flocked(guard)

    def _read_lease(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def lock_acquire(self, name: str, owner: str, ttl: float) -> Lease | None:
        path, guard = self._lock_paths(name)
        with self._guard(guard):
            held = self._read_lease(path)
            now = time.time()
            dead = bool(held) and holder_dead(held or {})
            if held and float(held.get("expires_at", 0)) > now and not dead:
                return None
            lease = Lease(
                name,
                owner,
                secrets.token_hex(16),
                now + ttl,
                {**identity(), "took_over": held, "holder_dead": dead},
            )
            self._write_lease(path, lease)
            return lease

    def _write_lease(self, path: Path, lease: Lease) -> None:
        data = {
            "owner": lease.owner,
            "token": lease.token,
            "expires_at": lease.expires_at,
            "pid": lease.extra.get("pid"),
            "host": lease.extra.get("host"),
            "boot_id": lease.extra.get("boot_id"),
        }
        write_atomic(path, json.dumps(data))

    def lock_heartbeat(self, lease: Lease, ttl: float) -> bool:
        path, guard = self._lock_paths(lease.name)
        with self._guard(guard):
            held = self._read_lease(path)
            if not held or held.get("token") != lease.token:
                return False
            lease.expires_at = time.time() + ttl
            self._write_lease(path, lease)
            return True

    def lock_release(self, lease: Lease) -> None:
        path, guard = self._lock_paths(lease.name)
        with self._guard(guard):
            held = self._read_lease(path)
            if held and held.get("token") == lease.token:
                try:
                    path.unlink()
                except OSError as exc:
                    if exc.errno != errno.ENOENT:
                        raise

    def lock_holder(self, name: str) -> dict[str, Any] | None:
        path, _ = self._lock_paths(name)
        held = self._read_lease(path)
        if held:
            held.pop("token", None)
        return held
