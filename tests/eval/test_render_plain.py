"""agentci.eval.render: a prompt without Jinja2 markup is rendered without Jinja2, and the
answer is the one Jinja2 (the same sandboxed environment) gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentci.eval import render as r

#: text with every kind of line ending, braces and percent signs that are not markup
PLAIN = st.text(alphabet=st.sampled_from(list("ab {}%#-\r\n\t\x00é\u2028")), max_size=60).filter(
    lambda t: not r._MARKUP.search(t)
)


@settings(max_examples=400, deadline=None)
@given(PLAIN)
def test_plain_text_renders_as_jinja2_renders_it(text: str) -> None:
    jinja = r._env().from_string(text).render()
    assert r.render(text, {}, path="p.md") == jinja


@pytest.mark.parametrize(
    "text", ["a\r\nb\rc\n", "x\n\n", "", "\n", "{ {not markup} }", "100% {x}", "}}%}#}"]
)
def test_the_edges_of_plain_text(text: str) -> None:
    assert r.render(text, {}, path="p.md") == r._env().from_string(text).render()


def test_markup_still_goes_through_jinja2() -> None:
    assert r.render("Hi {{ name }}!\n", {"name": "Ann"}, path="p.md") == "Hi Ann!"
    with pytest.raises(r.RenderError, match="undefined template variable"):
        r.render("{# c #}{{ who }}", {}, path="p.md")


def test_a_huge_plain_prompt_is_refused_like_a_huge_render() -> None:
    with pytest.raises(r.RenderError, match="larger than"):
        r.render("x" * (r.MAX_CHARS + 1), {}, path="p.md")
