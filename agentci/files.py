"""Files written whole or not at all, and the flock that serialises writers: the one place.

`write_atomic` writes to a new temporary file beside the target and `os.replace`s it into
place: rename(2) within a directory is atomic on POSIX (and `os.replace` on Windows), so a
reader, a concurrent writer or a run killed at any point sees the old file or the new one,
never half of either. The temporary name is unique (pid + random) and opened with O_EXCL and
O_NOFOLLOW, so nothing planted under it (a symlink) is written through; on any failure it is
removed and the target is untouched. No fsync: the guarantee is against crashed or killed
processes, not against power loss.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def write_atomic(path: Path | str, data: bytes | str, *, mode: int = 0o644) -> None:
    """Replace `path` with `data` (str is written as UTF-8) in one step; parent directories
    are created. Raises OSError (the target then is as it was)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(tmp, _FLAGS | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # e.g. disk full: no half-written leftovers
        raise


@contextlib.contextmanager
def flocked(guard: Path | str) -> Iterator[None]:
    """Hold flock(2) on `guard` (created if missing); the kernel drops it if the holder dies."""
    import fcntl

    fd = os.open(guard, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
