from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from agentci import safe_text

HOSTILE = "</details><img src=x onerror=alert(1)> @org/team #1 [x](https://evil.example) ![i](http://e/p.png)"


def _live(rendered: str) -> list[str]:
    """Things GitHub would act on: raw tags, pings, issue refs, autolinks."""
    found = re.findall(r"<(?!/?pre>)[a-zA-Z/!]", rendered)
    found += re.findall(r"(?<![\w\u2060])@[A-Za-z0-9]", rendered)
    found += re.findall(r"#\d", rendered)
    found += re.findall(r"https?://", rendered)
    return found


def test_inline_makes_hostile_text_inert() -> None:
    out = safe_text.md_inline(HOSTILE)
    assert _live(out) == []
    assert "&lt;/details&gt;" in out and "&lt;img" in out
    assert "@\u2060org/team" in out and "#\u20601" in out
    assert "\\[x\\]" in out and "\\!\\[i\\]" in out  # no link, no image


def test_block_cannot_close_pre_or_details() -> None:
    out = safe_text.md_block(HOSTILE + "\n</pre>\n\n<details>")
    assert out.startswith("<pre>") and out.endswith("</pre>")
    assert out.count("</pre>") == 1 and "</details>" not in out
    assert _live(out) == []
    assert "\n" in out  # line breaks kept inside the block


def test_code_span_cannot_break_out_or_split_a_table() -> None:
    out = safe_text.md_code("a`b|c @x")
    assert out.count("`") == 2 and "\\|" in out and "@\u2060x" in out


def test_truncate_says_how_much_was_cut() -> None:
    out = safe_text.md_block("x" * 1000, 100)
    assert "900 more characters cut" in out and out.count("x") == 100
    assert "(900 more characters)" in safe_text.md_inline("y" * 1000, 100)


@given(
    st.lists(
        st.sampled_from([*"<>/@#`|[]()!*_ \nabc1:", "http://", "</pre>", "</details>"]), max_size=60
    )
)
def test_no_input_escapes_the_pre_block(parts: list[str]) -> None:
    text = "".join(parts)
    out = safe_text.md_block(text)
    assert out.count("<pre>") == 1 and out.count("</pre>") == 1 and out.endswith("</pre>")
    assert _live(out) == []
    assert _live(safe_text.md_inline(text)) == []
