"""agentci's on-disk cache: one SQLite file (stdlib `sqlite3`) holding model answers and parsed
big documents, keyed by content hashes.

Why one SQLite file and not one JSON file per entry (agentci ≤ 0.x): an unchanged re-run of
2,000 cases opened, read and decoded 2,000 files (~150 ms on the 2-core bench machine) and the
cache took 8.9 MB of 4 KB blocks for 0.7 MB of answers; the same lookups in SQLite take ~50 ms
and one file. SQLite's own locking makes parallel writers safe (threads, or matrix jobs
sharing a self-hosted runner's cache: WAL mode, a busy timeout, each entry one autocommitted
statement, so a killed run loses at most its unfinished entry and never tears one), and the
folder is still what actions/cache saves and restores. Entries are immutable (the key hashes
everything that decides the value), so there is no invalidation: a stale or foreign row is
simply never asked for. SQLite locking is unreliable on network filesystems (NFS): keep the
cache on a local disk.

Where it lives is a trust decision (SECURITY.md): by default outside the checkout
(`$XDG_CACHE_HOME/agentci`, else `~/.cache/agentci`). Even when AGENTCI_CACHE_DIR points into
the checkout, a database file that git tracks (or its journal / WAL, which SQLite would replay)
is never opened, so a pull request cannot plant the answers its own cases are scored on.
Anything that goes wrong (read-only folder, full disk, a corrupt file, a lock held too long)
turns the cache off for the run: a cache never fails an eval.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any

ENV = "AGENTCI_CACHE_DIR"
FILE = "cache.sqlite3"
#: SQLite's companions: a hot rollback journal or a WAL is replayed into the database on open.
COMPANIONS = ("", "-wal", "-shm", "-journal")
#: How long a writer waits for another process's lock before giving up on caching that entry.
BUSY_TIMEOUT_MS = 5000

#: Whether parsed documents are cached in this process (`agentci.parse_cache`): off until
#: `agentci eval` turns it on (and `--no-cache` keeps it off), so validate and deploy never
#: write outside the repository (tests/hostile checks they do not).
_enabled = False


def set_enabled(enabled: bool) -> None:
    global _enabled
    _enabled = enabled


def enabled() -> bool:
    return _enabled


def default_dir(repo_root: Path | None = None) -> Path:
    """AGENTCI_CACHE_DIR, else the user's cache folder: never the checkout under review."""
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "agentci"


class Store:
    """Key -> bytes, per `kind` ("answer", "parsed"); opened on first use, thread-safe."""

    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self._con: Any = None
        self._opened = False
        self._lock = threading.Lock()

    def get(self, kind: str, key: str) -> bytes | None:
        row = self._run("SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key))
        return bytes(row[0]) if row else None

    def put(self, kind: str, key: str, value: bytes) -> None:
        self._run("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (kind, key, value))

    def delete(self, kind: str, key: str) -> None:
        self._run("DELETE FROM entries WHERE kind = ? AND key = ?", (kind, key))

    def close(self) -> None:
        with self._lock:
            con, self._con = self._con, None
            if con is not None:
                with contextlib.suppress(Exception):
                    con.close()

    def _run(self, sql: str, args: tuple[Any, ...]) -> Any:
        if not self.enabled:
            return None
        with self._lock:
            if not self._opened:
                self._opened = True
                self._con = _open(self.root)
            if self._con is None:
                return None
            import sqlite3

            try:
                return self._con.execute(sql, args).fetchone()
            except sqlite3.Error:
                return None  # locked too long, disk full, corrupt: this entry is not cached


def _open(root: Path) -> Any:
    """A connection to root/FILE, or None when the cache cannot (or must not) be used."""
    import sqlite3

    if _tracked(root):
        return None
    path = root / FILE
    for attempt in (0, 1):
        try:
            root.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(
                str(path),
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit: each entry is its own transaction
                check_same_thread=False,  # Store serialises use with its own lock
            )
            try:
                with contextlib.suppress(sqlite3.OperationalError):  # e.g. no shared memory
                    con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=NORMAL")  # WAL: no fsync per entry
                con.execute(
                    "CREATE TABLE IF NOT EXISTS entries "
                    "(kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
                    "PRIMARY KEY (kind, key)) WITHOUT ROWID"
                )
                return con
            except sqlite3.DatabaseError as exc:
                con.close()
                if attempt or isinstance(exc, sqlite3.OperationalError):
                    return None  # locked, read-only, full: skip the cache this run
                # Not a database (a torn copy, a foreign file): start it again, once.
                for suffix in COMPANIONS:
                    with contextlib.suppress(OSError):
                        os.unlink(f"{path}{suffix}")
        except (OSError, sqlite3.Error):
            return None
    return None


def _tracked(root: Path) -> bool:
    """Whether git tracks the database or one of its companions under `root`: then they came
    with the checkout, and are never read."""
    if not root.is_dir():
        return False  # nothing there to have come with a checkout (it is created empty)
    if not os.environ.get("GIT_DIR") and not _in_git_work_tree(root):
        return False
    import subprocess

    names = [f"{FILE}{s}" for s in COMPANIONS]
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--", *names],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return True  # cannot tell: do not trust it
    # git failing inside what looks like a work tree (e.g. "dubious ownership"): do not trust
    return proc.returncode != 0 or bool(proc.stdout.strip(b"\0"))


def _in_git_work_tree(root: Path) -> bool:
    """A `.git` in `root` or above (cheap stats, no process): only then can git track a file."""
    try:
        here = root.resolve()
    except OSError:
        return True
    return any((folder / ".git").exists() for folder in (here, *here.parents))
