"""The one redaction step: credential values never leave agentci, in any form.

Every text agentci writes (results JSON, JUnit, reports, the job summary, the PR comment,
annotations, outputs, logs on stdout/stderr, deploy status and audit lines, the answer
cache) passes through `text()` or `scrub()` here, and model answers and error bodies are
redacted the moment they arrive, before any escaping or formatting. The values come from
the environment, named by:

- the well-known credential variables (`KNOWN_VARS`) and any variable whose name ends in a
  credential word (`..._API_KEY`, `..._TOKEN`, `..._SECRET`, `..._ACCESS_KEY`, ...), which
  covers ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_TOKEN, AWS_SESSION_TOKEN, AZURE_*;
- the repository: `api_key_env`, `token_env` and every other `*_env` key of agentci.yaml and
  the manifests, and each agent's `secrets:` list (`learn_repo`).

Each value is also matched in the forms the writers would turn it into (JSON-, markdown-,
HTML-, XML- and URL-escaped, Actions-command escaped), so a value that arrives already
escaped, or text that was escaped before it reached a sink, is caught as well. In GitHub
Actions each value and form is sent as `::add-mask::` the moment it is learned, before the
first line agentci prints (the stream guard flushes around it).

Values shorter than `MIN_LENGTH` are not redacted: they would mangle ordinary words and no
real key is that short.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from agentci import safe_text

MIN_LENGTH = 8
#: Deepest nesting kept in data written out (results, status); below it a subtree is cut.
MAX_DEPTH = 64
#: Credential variables agentci knows whatever their name says.
KNOWN_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "AZURE_API_KEY",
    "AZURE_CLIENT_SECRET",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "INPUT_GITHUB-TOKEN",
    "INPUT_GITHUB_TOKEN",
    "INPUT_WORKSPACE-TOKEN",
    "INPUT_WORKSPACE_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "FASTIO_API_KEY",
    "FASTIO_TOKEN",
    "AGENTCI_WORKSPACE_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)
#: Any variable named like a credential.
CREDENTIAL_NAME = re.compile(
    r"(?i)(?:^|[_-])(?:API[_-]?KEY|KEY|TOKEN|SECRET|SECRET[_-]?ACCESS[_-]?KEY|ACCESS[_-]?KEY|PASSWORD|PASSWD|PAT|"
    r"CREDENTIALS?)$"
)
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")


def _label(name: str) -> str:
    return f"[REDACTED:{name}]" if _SAFE_NAME.fullmatch(name) else "[REDACTED]"


def forms(value: str) -> set[str]:
    """The value as each writer would render it, plus JSON of each of those."""
    import html
    import json
    import urllib.parse

    base = {
        value,
        html.escape(value, quote=True),
        html.escape(value, quote=False),
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        safe_text.md_inline(value),
        safe_text.md_code(value)[1:-1],
        safe_text.md_block(value)[5:-6],
        re.sub(r"([\\`*_{}\[\]()#+\-.!|~=:$<>])", r"\\\1", value),  # any markdown escaper
        safe_text.command_data(value),  # workflow commands
    }
    out = set(base)
    for form in base:
        out.add(json.dumps(form)[1:-1])
        out.add(json.dumps(form, ensure_ascii=False)[1:-1])
    return {f for f in out if len(f) >= MIN_LENGTH}


_ALNUM_RUN = re.compile(r"[A-Za-z0-9]{3,}")


def _anchor(value: str) -> str | None:
    """Part of `value` that every form in `forms()` keeps verbatim: the start (6 characters)
    of its longest letters-and-digits run; no escaper touches letters and digits, and the
    one that splits (a 40-hex run, after 7 characters) leaves the first 6 whole."""
    runs = _ALNUM_RUN.findall(value)
    return max(runs, key=len)[:6] if runs else None


class Redactor:
    """The credential values learned so far and one regex that finds any of their forms."""

    def __init__(self) -> None:
        self._labels: dict[str, str] = {}  # form -> replacement
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._anchors: list[str] = []  # a text holding none of these holds no form: skip the regex
        self._always = False  # a value without an anchor: always run the regex
        self._anchor_pattern = re.compile("(?!)")  # any anchor (matches nothing until one)
        self._lock = threading.Lock()

    def learn(self, name: str, value: str | None) -> list[str]:
        """Add one credential; returns its forms not seen before (to mask)."""
        if not value or len(value) < MIN_LENGTH:
            return []
        value = value.strip("\r\n")
        with self._lock:
            if value in self._values:
                return []
            self._values.add(value)
            new = [f for f in forms(value) if f not in self._labels]
            for f in new:
                self._labels[f] = _label(name)
            anchor = _anchor(value)
            if anchor is None:
                self._always = True
            elif anchor not in self._anchors:
                self._anchors.append(anchor)
                self._anchor_pattern = re.compile("|".join(map(re.escape, self._anchors)))
            # Longest first: a form may contain a shorter one.
            alts = sorted(self._labels, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(a) for a in alts))
        return new

    def text(self, value: str) -> str:
        pattern = self._pattern
        if pattern is None or not value or not self.may_hold(value):
            return value  # C-speed: a 5 MB results file costs milliseconds, not a second
        labels = self._labels
        return pattern.sub(lambda m: labels.get(m.group(0), "[REDACTED]"), value)

    def may_hold(self, value: str) -> bool:
        """False when `value` holds no form of any credential learned so far (one C-speed
        scan for the anchors); True means `text` may have something to replace."""
        if self._pattern is None:
            return False
        return self._always or self._anchor_pattern.search(value) is not None

    def scrub(self, obj: Any, depth: int = 0) -> Any:
        """A copy of JSON-like data with every string (keys too) redacted. Data nested
        deeper than MAX_DEPTH (a model's tool arguments, a crafted results file) is cut
        there, so no writer downstream recurses without bound."""
        # One closure, strings tested first: a 2,000-case results document has ~136,000
        # values, and a method call plus three isinstance checks each cost ~0.1 s.
        text = self.text if self._pattern is not None else None
        cut = f"[nested deeper than {MAX_DEPTH} levels: cut]"

        def walk(o: Any, d: int) -> Any:
            if isinstance(o, str):
                return text(o) if text is not None else o
            if isinstance(o, dict):
                if d > MAX_DEPTH:
                    return cut
                return {walk(k, d + 1): walk(v, d + 1) for k, v in o.items()}
            if isinstance(o, (list, tuple)):
                if d > MAX_DEPTH:
                    return cut
                return [walk(v, d + 1) for v in o]
            return o

        return walk(obj, depth)

    @property
    def active(self) -> bool:
        return self._pattern is not None


_REDACTOR = Redactor()


def text(value: str) -> str:
    """`value` with every known credential (in any of its forms) replaced."""
    return _REDACTOR.text(value)


def scrub(obj: Any) -> Any:
    return _REDACTOR.scrub(obj)


def may_hold(value: str) -> bool:
    """False when `value` holds no form of any known credential (`text` would return it as is)."""
    return _REDACTOR.may_hold(value)


def credential_names(env: Mapping[str, str]) -> list[str]:
    return sorted({n for n in env if n in KNOWN_VARS or CREDENTIAL_NAME.search(n)})


def learn_env(names: Iterable[str], env: Mapping[str, str] | None = None) -> None:
    """Learn the values of these environment variables (unset ones are ignored)."""
    env = env if env is not None else os.environ
    for name in names:
        if isinstance(name, str) and name:
            _mask(_REDACTOR.learn(name, env.get(name)))


def learn_defaults(env: Mapping[str, str] | None = None) -> None:
    env = env if env is not None else os.environ
    learn_env(credential_names(env), env)


def learn_repo(repo: Any, env: Mapping[str, str] | None = None) -> None:
    """The variables a repository names: `*_env` keys anywhere in its documents (config,
    manifests: api_key_env, token_env, ...) and each agent's `secrets:`."""
    names: set[str] = set()
    for doc in getattr(repo, "documents", {}).values():
        _env_names(getattr(doc, "data", None), names)
    for agent in getattr(repo, "agents", []):
        names.update(s for s in getattr(agent, "secrets", []) if isinstance(s, str))
    learn_env(sorted(names), env)


def _env_names(data: Any, into: set[str], depth: int = 0) -> None:
    if depth > 20:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):  # most values: no call for them
                if isinstance(key, str) and key.endswith("_env"):
                    into.add(value)
            elif key == "secrets" and isinstance(value, list):
                into.update(v for v in value if isinstance(v, str))
            elif isinstance(value, (dict, list)):
                _env_names(value, into, depth + 1)
    elif isinstance(data, list):
        for value in data:
            if isinstance(value, (dict, list)):
                _env_names(value, into, depth + 1)


def _mask(new_forms: list[str]) -> None:
    if not new_forms:
        return
    out = sys.stdout
    with contextlib.suppress(Exception):
        out.flush()
    for form in sorted(new_forms):
        add_mask(form, out=unredacted(out))


def add_mask(value: str, out: TextIO | None = None, env: Mapping[str, str] | None = None) -> bool:
    """In GitHub Actions (GITHUB_ACTIONS=true), send `::add-mask::` for each line of `value`
    so the runner hides it in the log; returns whether it did. (`agentci.github.gha` offers
    this under the same name; it lives here because masking is half of redaction.)"""
    if not value or (env if env is not None else os.environ).get("GITHUB_ACTIONS") != "true":
        return False
    # The mask line carries the value itself: it goes under the redacting stream, not through it.
    out = unredacted(out or sys.stdout)
    for line in value.splitlines():
        if line.strip():
            out.write(f"::add-mask::{safe_text.command_data(line)}\n")
    out.flush()
    return True


# -- streams ---------------------------------------------------------------------------


class RedactingStream:
    """A text stream that redacts what passes through. Text is held until a line ends or
    the stream is flushed, so a value split over two writes is still caught."""

    def __init__(self, inner: TextIO) -> None:
        self.unredacted = inner
        self._pending = ""

    def write(self, s: str) -> int:
        self._pending += s
        cut = max(self._pending.rfind("\n"), self._pending.rfind("\r"))
        if cut >= 0:
            ready, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
            self.unredacted.write(text(ready))
        return len(s)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self.unredacted.write(text(pending))
        self.unredacted.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unredacted, name)


def unredacted(stream: Any) -> Any:
    """The stream under a RedactingStream (for `::add-mask::`, which must carry the value)."""
    return getattr(stream, "unredacted", stream)


@contextlib.contextmanager
def guarded_streams() -> Iterator[None]:
    """stdout and stderr redacted for the duration (the CLI entry point wraps every command)."""
    old = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = old
