"""A sandbox for hostile repos (shared by tests/hostile and tests/leak): the repo sits next to a sentinel directory it must never touch.

Layout under tmp:  repo/  (the hostile repository)
                   outside/secret.txt  (planted: its content must never appear in output)
                   outside/agents/evil/agent.yaml  (a manifest outside, reachable by symlink)
Every run is checked three ways: exit code 0/1/2 with no traceback and no internal
error; the planted text never in stdout/stderr/written reports; nothing outside the
repo (and the workspace the test names) created, changed or removed.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def _snapshot(root: Path, skip: tuple[Path, ...]) -> dict[str, tuple[int, int, str]]:
    out: dict[str, tuple[int, int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        d = Path(dirpath)
        dirnames[:] = [n for n in dirnames if not any((d / n) == s for s in skip)]
        for name in dirnames + filenames:
            p = d / name
            st = p.lstat()
            target = os.readlink(p) if p.is_symlink() else ""
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns, target)
    return out


@dataclass
class Sandbox:
    root: Path
    repo: Path
    outside: Path
    secret: str
    allowed: list[Path] = field(default_factory=list)  # e.g. a workspace outside the repo
    _before: dict[str, tuple[int, int, str]] = field(default_factory=dict)

    def arm(self) -> None:
        """Take the 'before' picture of everything outside the repo and allowed dirs."""
        self._before = _snapshot(self.root, (self.repo, *self.allowed))

    def assert_untouched(self) -> None:
        after = _snapshot(self.root, (self.repo, *self.allowed))
        added = sorted(set(after) - set(self._before))
        removed = sorted(set(self._before) - set(after))
        changed = sorted(
            k for k in after.keys() & self._before.keys() if after[k] != self._before[k]
        )
        assert not (added or removed or changed), (
            f"outside the repo: added {added} removed {removed} changed {changed}"
        )

    def check(self, proc, *, allowed_rc: tuple[int, ...] = (0, 1, 2), extra_text: str = "") -> None:  # type: ignore[no-untyped-def]
        out = proc.stdout + proc.stderr + extra_text
        from bounded_run import count

        count(out)
        assert proc.returncode in allowed_rc, f"exit {proc.returncode}\n{out[-3000:]}"
        assert "Traceback" not in out, out[-3000:]
        assert "internal error" not in out, out[-3000:]
        assert self.secret not in out, "planted content from outside the repo appeared in output"
        self.assert_untouched()


def make_sandbox(base: Path) -> Sandbox:
    repo, outside = base / "repo", base / "outside"
    secret = f"PLANTED-OUTSIDE-{uuid.uuid4().hex}"
    (outside / "agents" / "evil" / "evals").mkdir(parents=True)
    (outside / "secret.txt").write_text(secret + "\n")
    (outside / "knowledge").mkdir()
    (outside / "knowledge" / "k.md").write_text(secret + "\n")
    (outside / "agents" / "evil" / "agent.yaml").write_text(
        f"agent:\n  name: evil\n  description: {secret}\n  prompt: p.md\n"
    )
    (outside / "agents" / "evil" / "p.md").write_text(secret + "\n")
    (outside / "agents" / "evil" / "evals" / "e.yaml").write_text(f"cases:\n  - input: {secret}\n")
    repo.mkdir()
    return Sandbox(base, repo, outside, secret)


# -- in-process watch: an audit hook records every file event under a forbidden root --------

_watch = threading.local()


def _audit(event: str, args: tuple) -> None:  # type: ignore[type-arg]
    forbidden = getattr(_watch, "forbidden", None)
    if forbidden is None or getattr(_watch, "busy", False):
        return
    if event not in {
        "open",
        "os.listdir",
        "os.scandir",
        "os.mkdir",
        "os.remove",
        "os.rename",
        "os.symlink",
        "os.rmdir",
        "os.truncate",
        "os.chmod",
        "shutil.copyfile",
        "shutil.rmtree",
    }:
        return
    path = args[0] if args else None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        return
    _watch.busy = True
    try:
        real = os.path.realpath(os.fspath(path))
    finally:
        _watch.busy = False
    if real == forbidden or real.startswith(forbidden + os.sep):
        _watch.hits.append((event, os.fspath(path), real))


_installed = False


@contextmanager
def forbid(path: Path) -> Iterator[list[tuple[str, str, str]]]:
    """Record (event, path, realpath) for any file access under `path` in this thread."""
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True
    _watch.forbidden = os.path.realpath(path)
    _watch.hits = []
    try:
        yield _watch.hits
    finally:
        _watch.forbidden = None
