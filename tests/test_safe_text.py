"""agentci.safe_text: every character class against every sink.

A table, not samples: each class of dangerous character (C0, C1, DEL, NUL, CR, ANSI/OSC
escapes, bidi overrides and isolates, zero-width joiners, line/paragraph separators, tag
characters, lone surrogates) goes through each sink, and the sink's own rule is checked on
what comes out.
"""

from __future__ import annotations

import sys
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from agentci import safe_text
from agentci.safe_text import JOINER

CLASSES: dict[str, str] = {
    "NUL": "\x00",
    "C0 (BEL, BS, VT, FF)": "\x07\x08\x0b\x0c",
    "CR": "\r",
    "ANSI CSI colour": "\x1b[31mred\x1b[0m",
    "ANSI cursor / erase": "\x1b[2K\x1b[1A",
    "OSC title": "\x1b]0;owned\x07",
    "OSC 8 hyperlink": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "DEL": "\x7f",
    "C1 (8-bit CSI, NEL, OSC)": "\x9b31m\x85\x9d",
    "bidi overrides": "\u202a\u202b\u202c\u202d\u202e",
    "bidi isolates": "\u2066\u2067\u2068\u2069",
    "bidi marks": "\u200e\u200f\u061c",
    "zero-width space / joiners": "\u200b\u200c\u200d\u2060\ufeff",
    "soft hyphen": "\u00ad",
    "line / paragraph separators": "\u2028\u2029",
    "tag characters": "\U000e0001\U000e0041\U000e007f",
    "lone surrogate": "\ud800",
}
#: Characters a sink may keep as they are (its own line structure), by sink.
KEEPS = {
    "terminal": "\n\t",
    "line": "",
    "md_inline": "",
    "md_block": "\n\t\r",
    "md_code": "",
}


def _unsafe(c: str) -> bool:
    """The oracle, independent of the module: controls, format characters, separators and
    surrogates by their Unicode general category."""
    return unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")


def _unsafe_left(text: str, keep: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if _unsafe(c) and c not in keep]


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("sink", ["terminal", "line"])
def test_terminal_and_log_sinks_show_every_unsafe_character_as_an_escape(
    sink: str, cls: str
) -> None:
    raw = f"before {CLASSES[cls]} after\nnext\tcol"
    out = getattr(safe_text, sink)(raw)
    assert _unsafe_left(out, KEEPS[sink]) == []
    assert "\x1b" not in out and "\x9b" not in out  # nothing reaches the terminal as a control
    assert out.startswith("before ") and "after" in out  # the text around it survives
    for ch in CLASSES[cls]:
        if _unsafe(ch):
            shown = f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
            shown = shown if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"
            assert shown in out  # visible, so a reader sees something was there
    if sink == "line":
        assert "\n" not in out and "\\x0a" in out
    out.encode("utf-8")  # every stream can write it (no lone surrogate left)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("sink", ["md_inline", "md_block", "md_code"])
def test_markdown_sinks_remove_every_unsafe_character(sink: str, cls: str) -> None:
    raw = f"before {CLASSES[cls]} after"
    out = getattr(safe_text, sink)(raw)
    # JOINER is the sink's own defusing mark (after '@', '#', 'http', ...); nothing else.
    assert _unsafe_left(out.replace(JOINER, ""), KEEPS[sink]) == []
    assert "before" in out and "after" in out
    out.encode("utf-8")


@pytest.mark.parametrize("cls", CLASSES)
def test_workflow_command_sinks_keep_one_line_and_round_trip(cls: str) -> None:
    raw = f"50% {CLASSES[cls]}\r\n::error::forged, a:b"
    data = safe_text.command_data(raw)
    prop = safe_text.command_property(raw)
    for out in (data, prop):
        assert "\n" not in out and "\r" not in out  # the runner reads one command per line
    assert "," not in prop and ":" not in prop
    # The runner's unescaping (actions/runner ActionCommand.UnescapeValue) gives the text back.
    unescape = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
    for escaped, back in ((data, raw), (prop, raw)):
        for a, b in unescape:
            escaped = escaped.replace(a, b)
        assert escaped == back


@pytest.mark.parametrize("cls", CLASSES)
def test_xml_sink_is_always_well_formed(cls: str) -> None:
    raw = f"before {CLASSES[cls]} after \ufffe\uffff"
    el = ET.Element("case", name=safe_text.xml(raw))
    el.text = safe_text.xml(raw)
    back = ET.fromstring(ET.tostring(el, encoding="unicode"))
    assert back.text is not None and back.text.startswith("before ")


def test_line_defuses_a_workflow_command_at_the_start() -> None:
    assert not safe_text.line("::warning::forged").startswith("::")
    assert not safe_text.line("   ::set-output name=x::y").lstrip().startswith("::")
    assert safe_text.line("agent: ::not at the start") == "agent: ::not at the start"


def test_line_cuts_at_the_limit() -> None:
    assert safe_text.line("x" * 50, 10) == "x" * 9 + "…"
    assert safe_text.line("short", 10) == "short"


def test_plain_text_passes_every_sink_unchanged() -> None:
    text = "Ünïcødé, emoji 🎉, CJK 漢字, Arabic مرحبا, tab\tend"
    assert safe_text.terminal(text) == text
    assert safe_text.line("no tabs here: 漢字 🎉") == "no tabs here: 漢字 🎉"
    assert safe_text.xml(text) == text


def test_unsafe_covers_every_control_format_and_separator_character() -> None:
    """UNSAFE is written out as ranges (building it from unicodedata at import would cost
    startup time); here it is checked against this Python's unicodedata, code point by code
    point, so a class the list misses shows up (a newer Unicode adds format characters)."""
    missed = [
        f"U+{c:04X} {unicodedata.category(chr(c))}"
        for c in range(sys.maxunicode + 1)
        if _unsafe(chr(c)) and not safe_text.is_unsafe(chr(c))
    ]
    assert missed == []
    assert not safe_text.is_unsafe(" \u00a0ordinary text 漢字 🎉")
