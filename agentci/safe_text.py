"""Untrusted text made safe for each place agentci writes it: the one module that does it.

Model output, eval inputs, names and messages from a repository under review, and anything
fetched are untrusted. Before such text reaches a sink it goes through that sink's function
here, so a fix to one character class is a fix everywhere:

| sink | function | what happens to unsafe characters |
|---|---|---|
| terminal / log (lines kept) | `terminal(text)` | shown as `\\x1b`, `\\u202e`, ... (LF and TAB kept) |
| terminal / log, one line | `line(text, limit)` | the same, LF and TAB too; a leading `::` cannot start a workflow command |
| GitHub markdown | `md_inline`, `md_block`, `md_code` | removed; mentions, references and links defused |
| workflow command message / property | `command_data`, `command_property` | `%`, CR, LF (and `:` `,`) percent-escaped |
| XML 1.0 (JUnit) | `xml(text)` | characters XML 1.0 cannot carry removed |

Unsafe characters (`UNSAFE`, `is_unsafe`): C0 controls (NUL, CR, ESC — so every ANSI/OSC escape
sequence — ...), DEL, C1 controls (8-bit CSI), Unicode format characters (bidi overrides and
isolates, marks, zero-width space/joiners, word joiner, BOM, soft hyphen, tag characters),
the line and paragraph separators and lone surrogates. They can move the cursor, recolour
or retitle a terminal, reorder what a reviewer reads, hide text inside a SHA or an address
so copy-paste breaks, or break a line where the reader sees none. The table in
tests/test_safe_text.py checks each class against each sink, and checks `UNSAFE` against
`unicodedata` so no format character is missed.

The workflow-command escapes are those of the Actions toolkit (`escapeData` /
`escapeProperty`, actions/toolkit packages/core/src/command.ts); the markdown rules follow
CommonMark and GitHub's autolink, mention and reference matching (see `md_inline`).
"""

from __future__ import annotations

import re

#: The Unicode format characters (general category Cf) plus controls, separators and
#: surrogates, as one character class. tests/test_safe_text.py checks it against unicodedata.
UNSAFE_CLASS = (
    "\x00-\x1f\x7f-\x9f"  # C0 (NUL, TAB, LF, CR, ESC ...), DEL, C1
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"  # Cf: soft hyphen, Arabic, Mongolian
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"  # zero-width, marks, bidi, joiners
    "\u2028\u2029"  # line and paragraph separators (Zl, Zp)
    "\ufeff\ufff9-\ufffb"  # BOM / zero-width no-break space, interlinear annotation
    "\ud800-\udfff"  # lone surrogates (cannot be encoded for any stream)
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"  # Cf outside the BMP: tags, ...
)
UNSAFE = re.compile(f"[{UNSAFE_CLASS}]")
_UNSAFE_BUT_LINES = re.compile(f"(?![\t\n])[{UNSAFE_CLASS}]")
_MARKDOWN_STRIP = re.compile(f"(?![\t\n\r])[{UNSAFE_CLASS}]")


def is_unsafe(text: str) -> bool:
    """True when `text` holds any character no sink shows as written (see the module doc)."""
    return UNSAFE.search(text) is not None


def _visible(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"


def terminal(text: object) -> str:
    """Text for a terminal or a log, lines and tabs kept; every other unsafe character is
    shown as an escape (`\\x1b`, `\\u202e`), so nothing drives the terminal or hides."""
    return _UNSAFE_BUT_LINES.sub(_visible, "" if text is None else str(text))


def line(text: object, limit: int = 0) -> str:
    """One line for a terminal or a log: as `terminal`, with LF and TAB escaped too, cut to
    `limit` characters (0: no limit, else an ellipsis marks the cut). A line that would start
    with `::` (a workflow command once the runner trims leading blanks) has that colon escaped."""
    s = UNSAFE.sub(_visible, "" if text is None else str(text))
    if s.lstrip().startswith("::"):
        i = s.index(":")
        s = s[:i] + "\\x3a" + s[i + 1 :]
    return s if limit <= 0 or len(s) <= limit else s[: limit - 1] + "…"


# --- GitHub workflow commands ---------------------------------------------------------


def command_data(text: str) -> str:
    """A workflow-command message: `%`, CR, LF escaped (actions/toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property(text: str) -> str:
    """A workflow-command property value: the message escapes plus `:` and `,`
    (actions/toolkit `escapeProperty`)."""
    return command_data(text).replace(":", "%3A").replace(",", "%2C")


# --- XML 1.0 --------------------------------------------------------------------------


def xml(text: str) -> str:
    """Text XML 1.0 can carry: its `Char` production (TAB, LF, CR, U+0020-U+D7FF,
    U+E000-U+FFFD, U+10000-U+10FFFF); anything else is removed."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or (0x20 <= ord(ch) < 0xD800)
        or (0xE000 <= ord(ch) < 0xFFFE)
        or ord(ch) > 0xFFFF
    )


# --- GitHub markdown ------------------------------------------------------------------

JOINER = "\u2060"  # word joiner: invisible, breaks GitHub's mention/reference/autolink matching

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=:$])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_REF = re.compile(r"(#|GH-|gh-)(?=\d)")
_SCHEME = re.compile(r"(?i)(https?|ftp|mailto|javascript|data|file)(:)")
_WWW = re.compile(r"(?i)www\.")
_SHA = re.compile(r"\b([0-9a-f]{7})([0-9a-f]{33})\b")


def truncate(text: str, limit: int) -> tuple[str, int]:
    """Cut `text` to at most `limit` characters; returns (text, characters cut)."""
    if limit <= 0 or len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def _defuse(text: str) -> str:
    # Order matters: unsafe characters (our own JOINER among them) go first, then JOINER is
    # inserted, which the HTML/markdown escapes leave alone.
    text = _MARKDOWN_STRIP.sub("", text)
    text = _MENTION.sub("@" + JOINER, text)
    text = _REF.sub(lambda m: m.group(1) + JOINER, text)
    text = _SCHEME.sub(lambda m: m.group(1) + JOINER + m.group(2), text)
    text = _WWW.sub("www" + JOINER + ".", text)
    return _SHA.sub(lambda m: m.group(1) + JOINER + m.group(2), text)


def html(text: str) -> str:
    return "".join(_HTML.get(ch, ch) for ch in text)


def md_inline(value: object, limit: int = 0) -> str:
    """One line of inert markdown: safe in a table cell, a list item or a heading. No HTML
    or markdown injection, no pings (@user, @org/team), no cross-references (#123,
    org/repo#1, GH-1), no autolinks, no images."""
    text = "" if value is None else str(value)
    text, cut = truncate(text, limit)
    text = " ".join(text.split())
    text = _MD_SPECIAL.sub(r"\\\1", html(_defuse(text)))
    return text + (f" … *({cut:,} more characters)*" if cut else "")


def md_block(value: object, limit: int = 0) -> str:
    """A `<pre>` block of inert text, line breaks kept. CommonMark ends a `<pre` HTML block
    only at `</pre>`, so with `<`/`>` escaped nothing inside can close it or be parsed as
    markdown."""
    text = "" if value is None else str(value)
    text, cut = truncate(text, limit)
    body = html(_defuse(text.replace("\r\n", "\n"))).strip("\n")
    # A blank line inside <pre> is fine for CommonMark, but keep it visible for readers.
    note = f"\n… ({cut:,} more characters cut)" if cut else ""
    return f"<pre>{body or ' '}{note}</pre>"


def md_code(value: object) -> str:
    """A short identifier (agent name, case id, path) as a code span that cannot break out.

    Code spans are not parsed as markdown or HTML; backticks cannot close it (replaced) and
    pipes are escaped because GFM splits table cells on them even inside code spans."""
    text = " ".join(("" if value is None else str(value)).split())
    text = _defuse(text).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else "` `"
