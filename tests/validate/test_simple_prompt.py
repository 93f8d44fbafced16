"""agentci.validate.simple_prompt: whatever it accepts, Jinja2 agrees with its answers."""

from __future__ import annotations

import random

import jinja2
from jinja2 import meta, nodes

from agentci.validate import prompt
from agentci.validate.simple_prompt import scan
from tests.conftest import EXAMPLES

PIECES = [
    "{{ company }}",
    "{{- days -}}",
    "{% if tier %}",
    "{%- if tier == 'gold' -%}",
    '{% if not vip and region != "eu" %}',
    "{% if x is defined %}",
    "{% if x is not none or y == 3 %}",
    "{% elif region == 'us' %}",
    "{% else %}",
    "{% endif %}",
    "{%- endif %}",
    "text ",
    "\n",
    "}} ",
    "%} ",
    # outside the subset: the scan must refuse these (or Jinja2 must agree anyway)
    "{{ a.b }}",
    "{{ x | upper }}",
    "{% for i in items %}",
    "{% endfor %}",
    "{# note #}",
    "{% if %}",
    "{% if x == -1 %}",
    "{% if x is odd %}",
    "{% include 'other.md' %}",
    "{{ range }}",
    "{{ true }}",
    "{{",
    "{%",
    "{{ {} }}",
    "{% if 'a' == x %}",
]


def jinja_view(text: str) -> tuple[set[str], dict[str, int], bool, bool] | None:
    """What validate's Jinja2 path concludes about `text` (None: it does not parse)."""
    from agentci.eval.render import forbidden_tags

    env = jinja2.Environment(autoescape=False)
    try:
        ast = env.parse(text)
    except jinja2.TemplateSyntaxError:
        return None
    first: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.ctx == "load":
            first.setdefault(node.name, node.lineno)
    used = set(meta.find_undeclared_variables(ast)) - set(env.globals)
    return used, first, prompt._renders_once_defined(ast, nodes), bool(forbidden_tags(ast))


def agree(text: str) -> bool:
    """True when the scan answers; then its answers must be Jinja2's."""
    got = scan(text)
    if got is None:
        return False
    assert jinja_view(text) == (set(got.names), got.names, True, False), text
    return True


def test_the_examples_prompts_are_simple_and_agree() -> None:
    prompts = sorted(EXAMPLES.glob("*/agents/*/system_prompt.md"))
    assert prompts
    assert agree((EXAMPLES / "support-bot/agents/support-bot/system_prompt.md").read_text())
    for path in prompts:
        agree(path.read_text())


def test_outside_the_subset_it_steps_aside() -> None:
    for text in [
        "{{ a.b }}",
        "{# c #}",
        "{% for i in x %}{% endfor %}",
        "{% if a %}{% else %}{% else %}{% endif %}",
        "{% if a %}",
        "{% endif %}",
        "{% if x is odd %}{% endif %}",
        "{% if x == -1 %}{% endif %}",
        "{{ loop }}",
        "{{ x -}",
    ]:
        assert scan(text) is None, text


def test_random_templates_agree_with_jinja2() -> None:
    rng = random.Random(15)
    accepted = 0
    for _ in range(3000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8)))
        accepted += agree(text)
    assert accepted > 300  # the subset is really exercised, not only refused
