"""Where repository files come from: the work tree, or a git commit read without checkout.

Every reader of the user's repository goes through a `Source`, so the same loader
serves `validate` (work tree), `eval --base REF` (the base commit) and
`deploy --ref SHA` (any commit). Paths are POSIX, relative to the repo root, and
never leave it: `resolve()` is the one place that decides.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from agentci import git
from agentci.errors import AgentciError

if TYPE_CHECKING:
    import subprocess

#: Files larger than this are not parsed (a finding says so); 50 MB junk must not hang us.
MAX_FILE_BYTES = 5 * 1024 * 1024


class PathEscape(ValueError):
    """A path in a repo file points outside the repository."""


def resolve(base_dir: str, ref: str) -> str:
    """Join a path written in a file at `base_dir` (repo-relative) and normalise it.

    Absolute host paths and `..` that climb out of the repo raise PathEscape; the
    caller turns that into a finding. Nothing is ever read at an escaping path.
    """
    if not isinstance(ref, str) or not ref.strip():
        raise PathEscape("empty path")
    if "\x00" in ref:
        raise PathEscape("path contains a NUL byte")
    if ref.startswith(("/", "\\")) or (len(ref) > 1 and ref[1] == ":"):
        raise PathEscape(f"absolute path {ref!r}")
    joined = posixpath.normpath(posixpath.join(base_dir or ".", ref.replace("\\", "/")))
    if joined == ".." or joined.startswith("../"):
        raise PathEscape(f"{ref!r} climbs out of the repository")
    return "" if joined == "." else joined


class Source(Protocol):
    """Read-only view of a repository tree."""

    label: str

    def read_bytes(self, path: str) -> bytes: ...
    def size(self, path: str) -> int | None: ...  # None: not a regular file
    def is_dir(self, path: str) -> bool: ...
    def files(self) -> list[str]: ...  # every regular file, repo-relative, sorted


def glob(source: Source, pattern: str) -> list[str]:
    """Files matching a glob (`*` stays within a directory, `**` spans directories)."""
    rx = _glob_regex(pattern)
    literal = len(pattern)
    for c in "*?[":
        if c in pattern:
            literal = min(literal, pattern.index(c))
    return [f for f in _with_prefix(source.files(), pattern[:literal]) if rx.fullmatch(f)]


def files_under(source: Source, path: str) -> list[str]:
    """The file itself, or every file below a directory."""
    if path == "":
        return source.files()
    if source.size(path) is not None:
        return [path]
    return _with_prefix(source.files(), path.rstrip("/") + "/")


def _with_prefix(files: list[str], prefix: str) -> list[str]:
    """The run of a sorted file list that starts with `prefix` (per-agent lookups in a
    1,000-agent repo must not scan every file each time)."""
    if not prefix:
        return files
    import bisect

    out = []
    for f in files[bisect.bisect_left(files, prefix) :]:
        if not f.startswith(prefix):
            break
        out.append(f)
    return out


def _glob_regex(pattern: str) -> Any:
    import re

    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


@dataclass
class WorkTree:
    """The files on disk under `root`. Symlinks that lead outside the root are not followed."""

    root: Path
    label: str = "work tree"
    _files: list[str] | None = field(default=None, repr=False)
    _plain: set[str] | None = field(default=None, repr=False)  # walked files that are not symlinks

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self._root_str = str(self.root).rstrip("/")

    def _real(self, path: str) -> Path:
        if (
            "\x00" in path
        ):  # a config value like `swarm: "x\0y"` must be a finding, not a ValueError
            raise PathEscape("path contains a NUL byte")
        if path in self._plain_files():
            # Found by the walk as a regular file below real directories: it cannot escape,
            # so skip realpath (a syscall per path component, the cost of a 1,000-agent repo).
            return Path(f"{self._root_str}/{path}")
        full = self.root / path if path else self.root
        real = Path(os.path.realpath(full))
        if real != self.root and self.root not in real.parents:
            raise PathEscape(f"{path!r} is a symlink that leads outside the repository")
        return real

    def read_bytes(self, path: str) -> bytes:
        """The file's bytes, checked against what was actually opened: a path swapped for a
        symlink after the walk (or after the check) cannot lead the read outside the root."""
        try:
            fd = os.open(
                self._real(path),
                os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
            )
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # walked as a plain file, a symlink now
                raise PathEscape(
                    f"{path!r} became a symlink while agentci was reading the repository"
                ) from None
            raise
        try:
            try:
                opened = Path(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:  # no /proc: fall back to the path's real location now
                opened = Path(os.path.realpath(self.root / path))
            if opened != self.root and self.root not in opened.parents:
                raise PathEscape(f"{path!r} is a symlink that leads outside the repository")
            with os.fdopen(fd, "rb", closefd=False) as fh:
                return fh.read()
        finally:
            os.close(fd)

    def escapes(self, path: str) -> bool:
        """True when `path` is (or passes through) a symlink that leads outside the root."""
        try:
            self._real(path)
        except PathEscape:
            return True
        return False

    def size(self, path: str) -> int | None:
        try:
            real = self._real(path)
        except PathEscape:
            return None
        try:
            st = os.stat(real)
        except (OSError, ValueError):
            return None
        return st.st_size if stat.S_ISREG(st.st_mode) else None

    def is_dir(self, path: str) -> bool:
        try:
            return self._real(path).is_dir()
        except (PathEscape, OSError, ValueError):  # e.g. a 300-character name: ENAMETOOLONG
            return False

    def files(self) -> list[str]:
        if self._files is None:
            found: list[str] = []
            plain: set[str] = set()
            for dirpath, dirnames, filenames in os.walk(self.root):
                rel = os.path.relpath(dirpath, self.root)
                rel = "" if rel == "." else rel.replace(os.sep, "/")
                # Never descend into VCS data, the workspace or caches agentci writes itself.
                dirnames[:] = sorted(
                    d
                    for d in dirnames
                    if d not in {".git", ".agentci", "node_modules", "__pycache__"}
                    and not (rel == "" and d.startswith(".venv"))
                )
                for name in filenames:
                    found.append(f"{rel}/{name}" if rel else name)
                    if not os.path.islink(os.path.join(dirpath, name)):
                        plain.add(found[-1])
            self._files = sorted(found)
            self._plain = plain
        return self._files

    def _plain_files(self) -> set[str]:
        if self._plain is None:
            self.files()
        return self._plain or set()


@dataclass
class GitTree:
    """The files of one commit, read with `git cat-file` (the work tree is never touched)."""

    root: Path
    ref: str
    label: str = ""
    _index: dict[str, tuple[str, int]] | None = field(default=None, repr=False)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.label = self.label or f"git {self.ref}"

    def _git(self, *args: str, input: bytes | None = None) -> bytes:
        proc = git.run(self.root, *args, input=input)
        if proc.returncode != 0:
            raise AgentciError(
                f"git {' '.join(args[:2])} failed: {git.error(proc)}",
                hint=f"check that {self.ref!r} is a commit in {self.root} (fetch-depth: 0 in actions/checkout)",
            )
        return proc.stdout

    def commit(self) -> str:
        return self._git("rev-parse", "--verify", f"{self.ref}^{{commit}}").decode().strip()

    def _load(self) -> dict[str, tuple[str, int]]:
        if self._index is None:
            out = self._git("ls-tree", "-r", "-z", "--long", self.ref)
            index: dict[str, tuple[str, int]] = {}
            for entry in out.split(b"\x00"):
                if not entry:
                    continue
                meta, _, name = entry.partition(b"\t")
                mode, kind, sha, size = meta.split()
                # Symlinks (120000) and submodules are not regular files: never followed.
                if kind == b"blob" and mode != b"120000":
                    index[name.decode("utf-8", "surrogateescape")] = (sha.decode(), int(size))
            self._index = index
        return self._index

    def read_bytes(self, path: str) -> bytes:
        """Blobs come through one long-lived `git cat-file --batch` process: a deploy or a
        baseline reads every knowledge file, and a `git` process per file costs ~10 ms."""
        entry = self._load().get(path)
        if entry is None:
            raise FileNotFoundError(path)
        with self._lock:
            if self._proc is None:
                self._proc = git.cat_file_batch(self.root)
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.write(entry[0].encode() + b"\n")
            self._proc.stdin.flush()
            header = self._proc.stdout.readline().split()
            if len(header) != 3:
                raise AgentciError(f"git cat-file could not read {path} at {self.ref}")
            data = self._proc.stdout.read(int(header[2]))
            self._proc.stdout.read(1)  # the newline after each object
            return data

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                if self._proc.stdin:
                    self._proc.stdin.close()
                self._proc.wait()
                self._proc = None

    def __enter__(self) -> GitTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def size(self, path: str) -> int | None:
        entry = self._load().get(path)
        return entry[1] if entry else None

    def blob_id(self, path: str) -> str | None:
        """The git object id of the file's content (from the tree listing: nothing is read)."""
        entry = self._load().get(path)
        return entry[0] if entry else None

    def is_dir(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return any(f.startswith(prefix) for f in self._load())

    def files(self) -> list[str]:
        return sorted(self._load())


def tracked_by_git(paths: list[Path]) -> set[Path]:
    """Which of `paths` are files committed in the git work tree they sit in (resolved paths).
    Such files came with the checkout, i.e. from whoever wrote the commit under review: never
    evidence (results, findings) and never cache. Outside a work tree, or without git: none."""
    by_dir: dict[Path, list[Path]] = {}
    for p in paths:
        real = Path(p).resolve()
        by_dir.setdefault(real.parent if not real.is_dir() else real, []).append(real)
    out: set[Path] = set()
    for folder, items in by_dir.items():
        if not folder.is_dir():
            continue
        names = git.ls_files(folder, [str(p) for p in items])
        root = git.toplevel(folder) if names is not None else None
        if names is None or root is None:
            continue
        out.update((root / name).resolve() for name in names)
    return out
