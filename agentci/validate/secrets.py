"""Secrets committed in any file agentci reads. Findings name the rule and location, never the value.

A small rule table of well-known credential formats plus a high-entropy check on values
assigned to key-like names. (detect-secrets was measured against it: ~80 ms to import and
~1.5 ms per file scanned, which alone would put a 1,000-agent repo over its 2 s budget;
this table scans the same files in well under a millisecond each.)
"""

from __future__ import annotations

import math
import re
from collections import Counter

from agentci.findings import Finding, error
from agentci.validate.context import Context

#: (rule id, label, pattern). Each pattern starts with a literal so `re` can skip ahead fast
#: (a leading \b or alternation makes it ~20x slower); the word boundary is checked in code.
PATTERNS: list[tuple[str, str, str]] = [
    (
        "secret-private-key",
        "private key block",
        r"-----BEGIN[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----",
    ),
    ("secret-anthropic-key", "Anthropic API key", r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    ("secret-openai-key", "OpenAI API key", r"sk-(?!ant-)(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{20,}"),
    ("secret-github-token", "GitHub token", r"gh[pousr]_[A-Za-z0-9]{30,}"),
    ("secret-github-token", "GitHub token", r"github_pat_[A-Za-z0-9_]{22,}"),
    ("secret-aws-key", "AWS access key id", r"A[KSGIRN][IPDOA]A[0-9A-Z]{16}(?![0-9A-Za-z])"),
    ("secret-google-key", "Google API key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("secret-slack-token", "Slack token", r"xox[abposre]-[0-9A-Za-z\-]{10,}"),
]
_KNOWN = [(rule_id, label, re.compile(p)) for rule_id, label, p in PATTERNS]
_AWS_PREFIXES = ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA")

#: Key words searched in the lower-cased text; a hit counts when the whole name before the
#: `=`/`:` ends in a key-like suffix, so `max_tokens: 512` or `api_key_env: OPENAI_API_KEY`
#: are not assignments of a secret.
_KEYWORDS = [
    re.compile(k + r"[\"']?[ \t]*[:=][ \t]*[\"']?")
    for k in ("key", "secret", "token", "passw", "pwd", "credential")
]
_NAME_SUFFIXES = (
    "apikey",
    "api_key",
    "api-key",
    "accesskey",
    "access_key",
    "access-key",
    "privatekey",
    "private_key",
    "private-key",
    "authkey",
    "auth_key",
    "auth-key",
    "secret",
    "token",
    "password",
    "passwd",
    "pwd",
    "credential",
    "credentials",
)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")
_VALUE = re.compile(r"[A-Za-z0-9+/=_\-.~]{16,}")
_PLACEHOLDER = re.compile(
    r"x{4,}|\*{4,}|your|example|changeme|placeholder|dummy|redacted|<|\.\.\.", re.IGNORECASE
)
#: Bits per character above which a value looks random rather than written.
MIN_ENTROPY = 3.5


def entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def mask(value: str) -> str:
    """Only the first 4 characters and the length: enough to find it, useless to an attacker."""
    return f"{value[:4]}… ({len(value)} chars)"


def _word_start(text: str, i: int) -> bool:
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")


def scan(path: str, text: str) -> list[Finding]:
    out: list[Finding] = []
    spans: list[tuple[int, int]] = []
    for rule_id, label, rx in _KNOWN:
        for m in rx.finditer(text):
            if rule_id != "secret-private-key" and not _word_start(text, m.start()):
                continue
            if rule_id == "secret-aws-key" and not m.group(0).startswith(_AWS_PREFIXES):
                continue
            spans.append(m.span())
            shown = "" if rule_id == "secret-private-key" else f" {mask(m.group(0))}"
            out.append(
                _finding(rule_id, path, text, m.start(), f"{label}{shown} committed in {path}")
            )
    low = text.lower()
    if len(low) != len(text):  # a few characters change length when lower-cased: keep offsets true
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    for rx in _KEYWORDS:
        for m in rx.finditer(low):
            out += _assigned(path, text, low, m, spans)
    return out


def _assigned(
    path: str, text: str, low: str, m: re.Match[str], spans: list[tuple[int, int]]
) -> list[Finding]:
    begin = m.start()
    while begin and low[begin - 1] in _NAME_CHARS:
        begin -= 1
    end_of_name = _name_end(low, m.start())
    name = text[begin:end_of_name]
    if not name.lower().endswith(_NAME_SUFFIXES):
        return []
    v = _VALUE.match(text, m.end())
    if v is None:
        return []
    value, start, end = v.group(0), v.start(), v.end()
    if any(s < end and start < e for s, e in spans):
        return []
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", value) or _PLACEHOLDER.search(value):
        return []  # an environment variable name or an obvious placeholder
    if entropy(value) < MIN_ENTROPY or not any(c.isdigit() for c in value):
        return []
    spans.append((start, end))
    return [
        _finding(
            "secret-high-entropy",
            path,
            text,
            start,
            f"high-entropy value {mask(value)} assigned to {name!r}",
        )
    ]


def _name_end(low: str, i: int) -> int:
    while i < len(low) and low[i] in _NAME_CHARS:
        i += 1
    return i


def _finding(rule_id: str, path: str, text: str, offset: int, message: str) -> Finding:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return error(
        rule_id,
        path,
        line,
        message,
        "remove it and rotate the credential; name it in agent.secrets and read it from the environment",
        col,
    )


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for path in ctx.files_read():
        text = ctx.text(path)
        if text:
            out += scan(path, text)
    return out
