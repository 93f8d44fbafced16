"""The jinja2-free scanner for simple prompts agrees with jinja2 whenever it answers.

Soundness: on any text, a non-None answer must be exactly jinja2's undeclared names with
their first lines, and jinja2 must parse the text. Usefulness: the example prompts and the
common tag forms are answered without jinja2.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import meta, nodes

from agentci.validate.simple_template import names

ROOT = Path(__file__).resolve().parents[2]
ENV = jinja2.Environment(autoescape=False)


def jinja_names(text: str) -> dict[str, int] | None:
    try:
        ast = ENV.parse(text)
    except jinja2.TemplateSyntaxError:
        return None
    used = meta.find_undeclared_variables(ast) - set(ENV.globals)
    first: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.ctx == "load":
            first.setdefault(node.name, node.lineno)
    return {n: first[n] for n in used}


PIECES = [
    "{{ a }}",
    "{{b}}",
    "{{- c -}}",
    "{% if a %}",
    "{% if b == 'x' %}",
    '{% elif c != "y" %}',
    "{% else %}",
    "{% endif %}",
    "{%- endif -%}",
    "{# note {{ z }} #}",
    "text ",
    "\n",
    "{",
    "}",
    "{{",
    "%}",
    "#}",
    "{%",
    "{#",
    "{{ range }}",
    "{{ a|upper }}",
    "{% for x in a %}",
    "{% endfor %}",
    "{{ a.b }}",
    "'",
    '"',
    "{% raw %}",
    "{% endraw %}",
    "{{ if }}",
    "{% if %}",
    "{{ a }}}",
    "{{{ a }}",
    "{% set a = 1 %}",
]


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_a_simple_answer_is_jinja2s_answer(parts: list[str]) -> None:
    text = "".join(parts)
    fast = names(text)
    if fast is not None:
        assert fast == jinja_names(text), text


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="{}%#-ab= '\"\n", max_size=30))
def test_random_text_never_gets_a_wrong_answer(text: str) -> None:
    fast = names(text)
    if fast is not None:
        assert fast == jinja_names(text), text


@pytest.mark.parametrize(
    "path",
    sorted(ROOT.glob("examples/**/system_prompt.md"))
    + sorted(ROOT.glob("examples/**/prompts/*.md")),
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_example_prompts_need_no_jinja2(path: Path) -> None:
    text = path.read_text()
    assert names(text) is not None
    assert names(text) == jinja_names(text)


@pytest.mark.parametrize(
    "text",
    [
        "{% if a %}x",
        "{% else %}",
        "{% if a %}{% else %}{% elif b %}{% endif %}",
        "{{ a | upper }}",
        "{% for x in y %}{% endfor %}",
        "{{ a }",
        "{{{ a }}",
    ],
)
def test_anything_else_goes_to_jinja2(text: str) -> None:
    assert names(text) is None
