"""Make untrusted text (model output, eval inputs, PR-authored files) inert in GitHub markdown.

Everything a model or a PR author wrote goes through here before it reaches a comment or
a summary: no HTML or markdown injection, no pings (@user, @org/team), no cross-references
(#123, org/repo#1, GH-1), no autolinks, no images. Two shapes:

- `inline(text)`: one line for tables and lists (newlines become spaces, markdown escaped).
- `block(text)`: a `<pre>` block. CommonMark ends a `<pre` HTML block only at `</pre>`,
  so with `<`/`>` escaped nothing inside can close it or be parsed as markdown.
"""

from __future__ import annotations

import re

JOINER = "\u2060"  # word joiner: invisible, breaks GitHub's mention/reference/autolink matching

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=:$])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_REF = re.compile(r"(#|GH-|gh-)(?=\d)")
_SCHEME = re.compile(r"(?i)(https?|ftp|mailto|javascript|data|file)(:)")
_WWW = re.compile(r"(?i)www\.")
_SHA = re.compile(r"\b([0-9a-f]{7})([0-9a-f]{33})\b")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def truncate(text: str, limit: int) -> tuple[str, int]:
    """Cut `text` to at most `limit` characters; returns (text, characters cut)."""
    if limit <= 0 or len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def _defuse(text: str) -> str:
    # Order matters: these insert JOINER, which the HTML/markdown escapes leave alone.
    text = _CONTROL.sub("", text)
    text = _MENTION.sub("@" + JOINER, text)
    text = _REF.sub(lambda m: m.group(1) + JOINER, text)
    text = _SCHEME.sub(lambda m: m.group(1) + JOINER + m.group(2), text)
    text = _WWW.sub("www" + JOINER + ".", text)
    return _SHA.sub(lambda m: m.group(1) + JOINER + m.group(2), text)


def html(text: str) -> str:
    return "".join(_HTML.get(ch, ch) for ch in text)


def inline(value: object, limit: int = 0) -> str:
    """One line of inert markdown: safe in a table cell, a list item or a heading."""
    text = "" if value is None else str(value)
    text, cut = truncate(text, limit)
    text = " ".join(text.split())
    text = _MD_SPECIAL.sub(r"\\\1", html(_defuse(text)))
    return text + (f" … *({cut:,} more characters)*" if cut else "")


def block(value: object, limit: int = 0) -> str:
    """A `<pre>` block of inert text, line breaks kept."""
    text = "" if value is None else str(value)
    text, cut = truncate(text, limit)
    body = html(_defuse(text.replace("\r\n", "\n"))).strip("\n")
    # A blank line inside <pre> is fine for CommonMark, but keep it visible for readers.
    note = f"\n… ({cut:,} more characters cut)" if cut else ""
    return f"<pre>{body or ' '}{note}</pre>"


def code(value: object) -> str:
    """A short identifier (agent name, case id, path) as a code span that cannot break out.

    Code spans are not parsed as markdown or HTML; backticks cannot close it (replaced) and
    pipes are escaped because GFM splits table cells on them even inside code spans."""
    text = " ".join(("" if value is None else str(value)).split())
    text = _defuse(text).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else "` `"
