"""Prompt templates: Jinja2 syntax, variables used but never defined, variables defined but unused."""

from __future__ import annotations

from functools import cache
from typing import Any

from agentci.findings import Finding, error, warning
from agentci.repo import Agent
from agentci.validate.context import Context
from agentci.validate.simple_template import names


@cache
def _env() -> Any:
    # Imported here: jinja2 costs ~40 ms and only prompt checks need it.
    import jinja2

    return jinja2.Environment(autoescape=False)


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    parsed: dict[str, dict[str, int] | None] = {}
    for agent in ctx.repo.agents:
        if not agent.prompt:
            continue
        if agent.prompt not in parsed:
            parsed[agent.prompt] = _names(ctx, agent.prompt, out)
        used = parsed[agent.prompt]
        if used is not None:
            out += _variables(ctx, agent, used)
    return out


def _names(ctx: Context, path: str, out: list[Finding]) -> dict[str, int] | None:
    """{variable the template loads: first line}, or None when it does not parse."""
    text, problems = ctx.read(path)
    out += problems
    if text is None:
        return None
    simple = names(text)  # most prompts: no jinja2 import at all
    if simple is not None:
        return simple
    import jinja2
    from jinja2 import meta, nodes

    try:
        ast = _env().parse(text)
    except jinja2.TemplateSyntaxError as exc:
        out.append(error("prompt-syntax", path, exc.lineno or 1, f"Jinja2 syntax error: {exc.message}",
                         "close every {{ }} / {% %} tag and match each {% if %} with {% endif %}"))
        return None
    used = _undeclared(ast, meta, nodes) - set(_env().globals)
    first_line: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.ctx == "load":
            first_line.setdefault(node.name, node.lineno)
    return {name: first_line.get(name, 1) for name in used}


def _defined_by_evals(ctx: Context, agent: Agent) -> set[str]:
    names: set[str] = set()
    for path in agent.evals:
        doc = ctx.repo.documents.get(path)
        data = doc.data if doc else None
        if not isinstance(data, dict):
            continue
        defaults = data.get("defaults")
        if isinstance(defaults, dict) and isinstance(defaults.get("vars"), dict):
            names.update(map(str, defaults["vars"]))
        cases = data.get("cases")
        for case in cases if isinstance(cases, list) else []:
            if isinstance(case, dict) and isinstance(case.get("vars"), dict):
                names.update(map(str, case["vars"]))
    return names


#: Node types that cannot declare a name or bring an implicit one (loop, self, caller …) into scope.
_SIMPLE_NODES = frozenset({
    "Template", "Output", "TemplateData", "Name", "Const", "Getattr", "Getitem", "Slice", "If", "CondExpr",
    "Compare", "Operand", "And", "Or", "Not", "Neg", "Pos", "Add", "Sub", "Mul", "Div", "FloorDiv", "Mod",
    "Pow", "Concat", "Filter", "Test", "Call", "Keyword", "List", "Tuple", "Dict", "Pair",
})


def _undeclared(ast: Any, meta: Any, nodes: Any) -> set[str]:
    """meta.find_undeclared_variables, without its code generator when the template is simple.

    A template made only of output, conditions and expressions declares nothing, so its
    undeclared names are exactly the names it loads (0.02 ms instead of ~0.2 ms).
    """
    loaded: set[str] = set()
    for node in ast.find_all(nodes.Node):
        if type(node).__name__ not in _SIMPLE_NODES:
            return set(meta.find_undeclared_variables(ast))
        if isinstance(node, nodes.Name) and node.ctx == "load":
            loaded.add(node.name)
    return loaded


def _variables(ctx: Context, agent: Agent, first_line: dict[str, int]) -> list[Finding]:
    assert agent.prompt is not None
    used = set(first_line)
    manifest_vars = set(map(str, agent.variables))
    defined = manifest_vars | _defined_by_evals(ctx, agent)
    out: list[Finding] = []
    for name in sorted(used - defined):
        out.append(error(
            "prompt-undefined-variable", agent.prompt, first_line.get(name, 1),
            f"{{{{ {name} }}}} is used but agent {agent.name!r} defines no variable {name!r}",
            f"add {name} to agent.variables in {agent.manifest} or to an eval set's vars",
        ))
    doc = ctx.repo.documents[agent.manifest]
    for name in sorted(manifest_vars - used):
        out.append(warning(
            "prompt-unused-variable", agent.manifest, doc.line_of(["agent", "variables", name]),
            f"variable {name!r} is defined but {agent.prompt} never uses it",
            f"use {{{{ {name} }}}} in the prompt or remove it from agent.variables",
        ))
    return out
