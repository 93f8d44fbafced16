"""The names a *simple* Jinja2 template loads, without importing jinja2.

Importing jinja2 costs about as much as starting Python (`agentci validate` on the example
spent ~3x `python -c pass` on it), and nearly every system prompt uses only `{{ name }}`,
`{% if name %}` / `{% if name == "x" %}` / `{% elif … %}` / `{% else %}` / `{% endif %}` and
`{# comments #}`. For such a template the variables it uses are exactly the names in those tags,
and it is syntactically valid when the ifs balance. Anything else (filters, loops, attributes,
whitespace oddities this scanner does not model, a stray `{{`) returns None and the caller asks
jinja2 as before. tests/validate/test_simple_template.py checks the answers against jinja2's.
"""

from __future__ import annotations

import re

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_STR = r"""(?:"[^"\\{}%#\n]*"|'[^'\\{}%#\n]*')"""
_COND = rf"(?P<cname>{_NAME})(?:\s*(?:==|!=)\s*{_STR})?"
_TAG = re.compile(
    rf"\{{\{{-?[ \t]*(?P<name>{_NAME})[ \t]*-?\}}\}}"
    rf"|\{{%-?[ \t]*(?P<kw>if|elif)[ \t]+{_COND}[ \t]*-?%\}}"
    rf"|\{{%-?[ \t]*(?P<end>else|endif)[ \t]*-?%\}}"
    r"|\{#(?:[^#]|#(?!\}))*#\}"
)
_OPEN = re.compile(r"\{[{%#]")
#: names jinja2 defines itself (jinja2.defaults.DEFAULT_NAMESPACE) and keywords it reads as constants
_RESERVED = frozenset(
    {
        "range",
        "dict",
        "lipsum",
        "cycler",
        "joiner",
        "namespace",
        "true",
        "false",
        "none",
        "True",
        "False",
        "None",
        "if",
        "elif",
        "else",
        "endif",
        "and",
        "or",
        "not",
        "in",
        "is",
    }
)


def names(text: str) -> dict[str, int] | None:
    """{name: first line} for a simple, valid template; None when jinja2 must decide."""
    found: dict[str, int] = {}
    open_ifs: list[bool] = []  # per open {% if %}: whether its {% else %} was seen
    pos = 0
    line = 1
    for m in _TAG.finditer(text):
        # +1: a "{" just before the tag would make jinja2 see "{{" one character earlier
        if _OPEN.search(text, pos, m.start() + 1):
            return None  # a tag this scanner does not understand
        line += text.count("\n", pos, m.start())
        name = m.group("name") or m.group("cname")
        if name:
            if name in _RESERVED:
                return None
            found.setdefault(name, line)
        kw = m.group("kw") or m.group("end")
        if kw == "if":
            open_ifs.append(False)
        elif kw in ("elif", "else"):
            if not open_ifs or open_ifs[-1]:
                return None  # outside an if, or after its else: jinja2 reports the error
            open_ifs[-1] = kw == "else"
        elif kw == "endif":
            if not open_ifs:
                return None
            open_ifs.pop()
        line += text.count("\n", m.start(), m.end())
        pos = m.end()
    if open_ifs or _OPEN.search(text, pos):
        return None
    return found
