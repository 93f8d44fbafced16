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

#: (rule id, label, pattern). Order matters: sk-ant- must win over sk-.
PATTERNS: list[tuple[str, str, str]] = [
    ("secret-private-key", "private key block", r"-----BEGIN[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----"),
    ("secret-anthropic-key", "Anthropic API key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    ("secret-openai-key", "OpenAI API key", r"\bsk-(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{20,}"),
    ("secret-github-token", "GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("secret-aws-key", "AWS access key id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"),
    ("secret-google-key", "Google API key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("secret-slack-token", "Slack token", r"\bxox[abposre]-[0-9A-Za-z\-]{10,}"),
]
_KNOWN = re.compile("|".join(f"(?P<g{i}>{p})" for i, (_, _, p) in enumerate(PATTERNS)))

#: A key-like name, then = or :, then a value. The name must end in the key word, so
#: `max_tokens: 512` or `api_key_env: OPENAI_API_KEY` are not assignments of a secret.
_ASSIGNED = re.compile(
    r"(?<![A-Za-z0-9_])(?P<name>[A-Za-z0-9_.\-]*?(?:api[_\-]?key|secret|token|passw(?:or)?d|pwd|credentials?"
    r"|access[_\-]?key|private[_\-]?key|auth[_\-]?key|client[_\-]?secret))[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?P<value>[A-Za-z0-9+/=_\-.~]{16,})",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"x{4,}|\*{4,}|your|example|changeme|placeholder|dummy|redacted|<|\.\.\.", re.IGNORECASE)
#: Bits per character above which a value looks random rather than written.
MIN_ENTROPY = 3.5


def entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def mask(value: str) -> str:
    """Only the first 4 characters and the length: enough to find it, useless to an attacker."""
    return f"{value[:4]}… ({len(value)} chars)"


def scan(path: str, text: str) -> list[Finding]:
    out: list[Finding] = []
    spans: list[tuple[int, int]] = []
    for m in _KNOWN.finditer(text):
        index = int(next(k for k, v in m.groupdict().items() if v is not None)[1:])
        rule_id, label, _ = PATTERNS[index]
        spans.append(m.span())
        shown = "" if rule_id == "secret-private-key" else f" {mask(m.group(0))}"
        out.append(_finding(rule_id, path, text, m.start(), f"{label}{shown} committed in {path}"))
    for m in _ASSIGNED.finditer(text):
        value = m.group("value")
        start, end = m.span("value")
        if any(s < end and start < e for s, e in spans):
            continue
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", value) or _PLACEHOLDER.search(value):
            continue  # an environment variable name or an obvious placeholder
        if entropy(value) < MIN_ENTROPY or not re.search(r"\d", value):
            continue
        out.append(_finding("secret-high-entropy", path, text, start,
                            f"high-entropy value {mask(value)} assigned to {m.group('name')!r}"))
    return out


def _finding(rule_id: str, path: str, text: str, offset: int, message: str) -> Finding:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return error(rule_id, path, line, message,
                 "remove it and rotate the credential; name it in agent.secrets and read it from the environment",
                 col)


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for path in ctx.files_read():
        text = ctx.text(path)
        if text:
            out += scan(path, text)
    return out
