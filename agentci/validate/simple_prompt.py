"""What `validate` needs to know about a simple prompt template, without importing Jinja2.

Importing jinja2 costs `agentci validate` ~65 ms of CPU here, about 40% of checking the
example. Most prompts use a small subset: `{{ name }}` and `{% if %}` / `{% elif %}` /
`{% else %}` / `{% endif %}` over names, `not`, `and`, `or`, `==` / `!=` against a literal and
`is [not] defined`-style tests. For a template made only of that, Jinja2's answers are
known: it parses, has no include, its undeclared names are exactly the names it loads, and it
renders once every such name is defined. `scan` returns those answers, or None for anything
else (then validate asks Jinja2 itself, so nothing outside the subset is judged here).
tests/validate/test_simple_prompt.py checks each answer against Jinja2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Jinja2's default delimiters, with the whitespace-control marks `-` / `+`.
_TAG = re.compile(r"\{([{%#])")
_VAR = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}")
_STMT = re.compile(
    r"\{%-?\s*(if|elif|else|endif)\b"
    r"((?:[^%{}#'\"]|'[^'\\%{}]*'|\"[^\"\\%{}]*\")*?)-?%\}"
)
_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<num>\d+))"
)
#: Words Jinja2 reads as keywords or literals, and its default globals (validate subtracts
#: those; a template naming one is left to Jinja2).
_RESERVED = frozenset(
    [
        "and",
        "or",
        "not",
        "in",
        "is",
        "if",
        "elif",
        "else",
        "endif",
        "for",
        "endfor",
        "true",
        "false",
        "none",
        "True",
        "False",
        "None",
        "range",
        "dict",
        "lipsum",
        "cycler",
        "joiner",
        "namespace",
        "loop",
        "self",
        "caller",
        "varargs",
        "kwargs",
        "super",
    ]
)
_TESTS = frozenset({"defined", "undefined", "none", "string", "number", "boolean"})
_LITERALS = frozenset({"true", "false", "none", "True", "False", "None"})


@dataclass(frozen=True)
class Scan:
    names: dict[str, int]  # each loaded name -> the line it first appears on


def scan(text: str) -> Scan | None:
    names: dict[str, int] = {}
    open_ifs: list[bool] = []  # per open {% if %}: whether its {% else %} was seen
    pos = 0
    for m in _TAG.finditer(text):
        if m.start() < pos:
            continue  # inside a tag already read
        if m.group(1) == "#":
            return None  # comments: left to Jinja2
        line = text.count("\n", 0, m.start()) + 1
        var = _VAR.match(text, m.start())
        if var is not None:
            if not _name(var.group(1), line, names):
                return None
            pos = var.end()
            continue
        stmt = _STMT.match(text, m.start())
        if stmt is None:
            return None
        word, expr = stmt.group(1), stmt.group(2)
        if word == "if":
            open_ifs.append(False)
        elif not open_ifs or (open_ifs[-1] and word != "endif"):
            return None  # elif/else/endif outside an if; elif/else after its else
        if word in ("if", "elif"):
            if not _condition(expr, text, stmt.start(2), names):
                return None
        elif expr.strip():
            return None
        elif word == "else":
            open_ifs[-1] = True
        if word == "endif":
            open_ifs.pop()
        pos = stmt.end()
    return None if open_ifs else Scan(names)


def _name(name: str, line: int, names: dict[str, int]) -> bool:
    if name in _RESERVED:
        return False
    names.setdefault(name, line)
    return True


def _condition(expr: str, text: str, offset: int, names: dict[str, int]) -> bool:
    """term (and|or term)*, term: [not]* name [(==|!=) literal | is [not] test]."""
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(expr):
        if not expr[pos:].strip():
            break
        m = _TOKEN.match(expr, pos)
        if m is None:
            return False
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind), offset + m.start(kind)))
        pos = m.end()
    i = 0
    while True:
        while i < len(tokens) and tokens[i][:2] == ("name", "not"):
            i += 1
        if i >= len(tokens) or tokens[i][0] != "name":
            return False
        kind, name, at = tokens[i]
        if name in _LITERALS or not _name(name, text.count("\n", 0, at) + 1, names):
            return False
        i += 1
        if i < len(tokens) and tokens[i][0] == "op":
            if i + 1 >= len(tokens) or tokens[i + 1][0] not in ("str", "num"):
                return False
            i += 2
        elif i < len(tokens) and tokens[i][:2] == ("name", "is"):
            i += 1
            if i < len(tokens) and tokens[i][:2] == ("name", "not"):
                i += 1
            if i >= len(tokens) or tokens[i][1] not in _TESTS:
                return False
            i += 1
        if i == len(tokens):
            return True
        if tokens[i][:2] not in (("name", "and"), ("name", "or")):
            return False
        i += 1
