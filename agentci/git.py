"""The one way agentci runs `git`: every command goes through `run` (or the batch reader).

`git -C <root> ...` with captured output and a deadline (`TIMEOUT`), never a shell, never an
exception for a missing `git` binary or a hung command: those come back as a failed
result (exit code 127 / 124, the reason in stderr), so callers decide what a failure means.
The named helpers below are the questions the code base asks of git; add one here rather
than calling `subprocess` elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable

#: Seconds one git command may take (a fetch of the base commit included).
TIMEOUT = 120.0


def run(
    root: Path | str, *args: str, input: bytes | None = None, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[bytes]:
    """`git -C root *args`: stdout/stderr captured as bytes, at most `timeout` seconds."""
    import subprocess  # here: `agentci validate` runs no git, and the import costs ~5 ms

    argv = ["git", "-C", str(root), *args]
    try:
        return subprocess.run(argv, input=input, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(
            argv, 124, b"", f"git timed out after {timeout:g}s".encode()
        )
    except OSError as exc:
        return subprocess.CompletedProcess(argv, 127, b"", f"git could not run: {exc}".encode())


def out(root: Path | str, *args: str, timeout: float = TIMEOUT) -> str | None:
    """stdout (stripped) when the command succeeds, else None. Empty output is "" (success)."""
    proc = run(root, *args, timeout=timeout)
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else None


def error(proc: subprocess.CompletedProcess[bytes]) -> str:
    """The last line git wrote to stderr (its reason), or "unknown error"."""
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "unknown error"


def toplevel(path: Path | str) -> Path | None:
    """The work tree `path` lies in (resolved), or None outside one."""
    top = out(path, "rev-parse", "--show-toplevel")
    return Path(top).resolve() if top else None


def commit(root: Path | str, ref: str) -> str | None:
    """The commit `ref` names (full SHA), or None when there is no such commit."""
    return out(root, *_verify(ref)) or None


def head(root: Path | str) -> str | None:
    """The checked-out commit, or None (not a repository, or no commit yet)."""
    return commit(root, "HEAD")


def head_later(root: Path | str) -> Callable[[], str | None]:
    """`head(root)` started now and read when called: the eval starts it before its run, so
    its ~2-4 ms (a process start) pass while the answers are awaited."""
    import subprocess

    argv = ["git", "-C", str(root), *_verify("HEAD")]
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return lambda: None

    def answer() -> str | None:
        try:
            stdout, _ = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return None
        return stdout.decode("utf-8", "replace").strip() or None if proc.returncode == 0 else None

    return answer


def _verify(ref: str) -> tuple[str, ...]:
    """The arguments that turn `ref` into its commit's full SHA (or fail quietly)."""
    return ("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def has_commit(root: Path | str, sha: str) -> bool:
    return run(root, "cat-file", "-e", f"{sha}^{{commit}}").returncode == 0


def merge_base(root: Path | str, base_sha: str, notes: list[str]) -> str | None:
    """The merge base of `base_sha` and HEAD, fetching the base when the checkout is shallow.
    None (with the reason appended to `notes`) when the base is not in the checkout."""
    if not has_commit(root, base_sha):
        run(root, "fetch", "--no-tags", "--quiet", "origin", base_sha)
    if not has_commit(root, base_sha):
        notes.append(
            f"Base commit {base_sha[:12]} is not in the checkout, so there is no base comparison: "
            "use `fetch-depth: 0` in actions/checkout."
        )
        return None
    # A shallow clone can lack the history to find a merge base: then the base itself is
    # the best comparison (for a PR merge commit it is the first parent).
    return out(root, "merge-base", base_sha, "HEAD") or base_sha


def ls_files(folder: Path | str, paths: list[str]) -> list[str] | None:
    """Which of `paths` (inside `folder`) are tracked, as paths from the top of the work tree;
    None outside a work tree."""
    proc = run(folder, "ls-files", "-z", "--full-name", "--", *paths, timeout=30)
    if proc.returncode != 0:
        return None
    return [name.decode("utf-8", "replace") for name in proc.stdout.split(b"\0") if name]


def status(root: Path | str, *paths: str) -> list[str]:
    """`git status --porcelain` lines for `paths` (none outside a repository)."""
    proc = run(root, "status", "--porcelain", "--", *paths)
    return proc.stdout.decode("utf-8", "replace").splitlines() if proc.returncode == 0 else []


def cat_file_batch(root: Path | str) -> subprocess.Popen[bytes]:
    """A long-lived `git cat-file --batch` (stdin: object names, stdout: objects)."""
    import subprocess

    return subprocess.Popen(
        ["git", "-C", str(root), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
