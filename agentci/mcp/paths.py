"""Workspace paths as an agent names them (`/research/r1.md`) and the real files they reach.

Two steps, both strict, because the path is untrusted text (model output):

1. `clean(raw)`: one canonical spelling or a refusal. Refused outright rather than decoded:
   `..` segments, NUL, control, bidi and zero-width characters (`safe_text.is_unsafe`), backslashes, percent-encodings (`%2e%2e`),
   text that is not NFC-normalised, characters whose compatibility form is a dot, slash,
   backslash, percent or colon (fullwidth `．．／`), segments ending in a dot or space and
   colons (Windows aliases). A path that needs decoding to mean something is not a path
   an agent needs, so no decoder (ours or the filesystem's) ever sees a second meaning.
2. `LocalFiles.resolve(path)`: walks the path one component at a time under the workspace
   root. A symlink is followed only when deploy made it (an area such as `knowledge` or
   `agents/<name>` pointing into `.agentci/releases/<same area>/`); any other symlink is
   refused, so a link planted in a writable directory cannot reach outside the grant it
   sits in. On a case-insensitive filesystem each existing component must match its
   on-disk spelling exactly (`/KNOWLEDGE` is not `/knowledge`).
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

from agentci import safe_text

MAX_PATH_CHARS = 1024
RELEASES = ".agentci/releases"
_LOOKALIKE = set("./\\%:")


class Refused(Exception):
    """A call the server will not make: `rule` names why, `path` what was asked for."""

    def __init__(self, rule: str, path: str, reason: str) -> None:
        super().__init__(f"denied ({rule}): {path}: {reason}")
        self.rule, self.path, self.reason = rule, path, reason


def clean(raw: object) -> str:
    """The canonical absolute workspace path for `raw`, or Refused."""
    if not isinstance(raw, str) or not raw.strip():
        raise Refused(
            "bad-path", repr(raw)[:80], "a workspace path such as /research/r1.md is required"
        )
    shown = raw[:200]
    if len(raw) > MAX_PATH_CHARS:
        raise Refused("bad-path", shown, f"longer than {MAX_PATH_CHARS} characters")
    if safe_text.is_unsafe(raw):
        raise Refused(
            "encoding",
            safe_text.line(shown),
            "NUL, control, bidi, zero-width or separator character",
        )
    if "\\" in raw:
        raise Refused("encoding", shown, "backslash (use / between segments)")
    if "%" in raw:
        raise Refused("encoding", shown, "percent-encoding is not decoded; write the path as it is")
    if unicodedata.normalize("NFC", raw) != raw:
        raise Refused("encoding", shown, "not NFC-normalised unicode")
    for c in raw:
        if ord(c) > 0x7F and _LOOKALIKE & set(unicodedata.normalize("NFKC", c)):
            raise Refused(
                "encoding", shown, f"U+{ord(c):04X} looks like {unicodedata.normalize('NFKC', c)!r}"
            )
    segments = [s for s in raw.split("/") if s not in ("", ".")]
    for s in segments:
        if s == "..":
            raise Refused("traversal", shown, "'..' segments are refused")
        if ":" in s or s.endswith((".", " ")):
            raise Refused(
                "encoding", shown, f"segment {s!r}: colons and trailing dots or spaces are refused"
            )
    return "/" + "/".join(segments)


def is_under(path: str, top: str) -> bool:
    """`path` is `top` or below it (a directory boundary, not a string prefix)."""
    return top == "/" or path == top or path.startswith(top.rstrip("/") + "/")


class LocalFiles:
    """The `local` backend's workspace directory, reached only through `resolve`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.releases = (self.root / RELEASES).resolve()
        self.case_insensitive = _case_insensitive(self.root)

    def resolve(self, path: str) -> Path:
        """The real location of the clean workspace path `path` (which need not exist yet)."""
        parts = [p for p in path.split("/") if p]
        cur = self.root
        for i, part in enumerate(parts):
            nxt = cur / part
            try:
                st = os.lstat(nxt)
            except FileNotFoundError:
                return cur.joinpath(*parts[i:])
            except NotADirectoryError:
                raise Refused(
                    "bad-path", path, f"{'/' + '/'.join(parts[:i])} is a file, not a directory"
                ) from None
            if self.case_insensitive and part not in os.listdir(cur):
                raise Refused("case", path, f"{part!r} differs in case from the name on disk")
            if stat.S_ISLNK(st.st_mode):
                cur = self._follow_area_link(nxt, "/".join(parts[: i + 1]), path)
            else:
                cur = nxt
        return cur

    def _follow_area_link(self, link: Path, area: str, asked: str) -> Path:
        target = Path(os.path.realpath(link))
        home = self.releases / area
        if target.parent != home or not target.is_dir():
            raise Refused(
                "symlink",
                asked,
                f"/{area} is a symlink agentci did not make; symlinks are not followed",
            )
        return target


def _case_insensitive(root: Path) -> bool:
    probe = root / ".agentci"
    if not probe.exists():
        return False
    try:
        return os.path.samestat(os.stat(probe), os.stat(root / ".AGENTCI"))
    except OSError:
        return False
