"""GitHub Models `*.prompt.yml` files as agentci eval sets, accepted as they are.

The format (as `gh models eval` reads it): `messages` with `{{var}}` placeholders,
`testData` rows that fill them, and `evaluators`, each one of
  string: {equals | contains | startsWith | endsWith}   (all but equals ignore case)
  llm:    {modelId, prompt, choices, systemPrompt}      (a custom LLM judge)
  uses:   github/similarity | coherence | fluency | relevance | groundedness
Each row becomes a case: the user message is the input, the system message (if any)
replaces the agent's prompt for that case, `expected` and `context` keep their
meaning, and every evaluator becomes an assertion (every one must pass, as in
`gh models eval`). LLM evaluators run through agentci's judge (deepeval GEval), so
their scores follow deepeval's 0-1 scale with a 0.5 pass mark, where GitHub passes
any non-zero choice; that is the one place the verdicts can differ.
"""

from __future__ import annotations

import re
from typing import Any

from agentci.documents import Document
from agentci.errors import AgentciError

_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")
LLM_THRESHOLD = 0.5

# The built-in evaluators, mapped to the nearest agentci assertion.
_BUILTINS: dict[str, dict[str, Any]] = {
    "similarity": {"type": "g-eval", "name": "similarity", "value": (
        "Equivalence: the actual output conveys the same information and content as the expected output.")},
    "coherence": {"type": "g-eval", "name": "coherence", "value": (
        "Coherence: the actual output presents ideas logically and in order, directly addressing the input "
        "with clear connections between sentences.")},
    "fluency": {"type": "g-eval", "name": "fluency", "value": (
        "Fluency: the actual output is grammatical, clear and readable, with appropriate vocabulary.")},
    "relevance": {"type": "answer-relevancy", "name": "relevance"},
    "groundedness": {"type": "faithfulness", "name": "groundedness"},
}


def template(text: str, data: dict[str, Any]) -> str:
    """GitHub Models' templating: `{{name}}` replaced by the row's value; unknown names stay."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return str(data[name]) if name in data else m.group(0)

    return _VAR.sub(sub, text)


def _verbatim(text: str) -> str:
    # agentci renders a case's system prompt as Jinja2; GitHub's placeholders are already
    # filled here, so whatever remains (braces in examples, `{%`) must reach the model as is.
    return "{% raw %}" + text.replace("{% endraw %}", "{% endraw %}{{ '{% endraw %}' }}{% raw %}") + "{% endraw %}"


class PromptFileError(AgentciError):
    """A prompt file agentci cannot map; `line` and `problem` let validate report it as a finding."""

    def __init__(self, line: int, problem: str, hint: str = "") -> None:
        super().__init__(f"line {line}: {problem}", hint=hint)
        self.line, self.problem = line, problem


def _err(doc: Document, at: list[str | int], message: str, hint: str = "") -> PromptFileError:
    return PromptFileError(doc.line_of(at), message, hint)


def _messages(doc: Document, data: dict[str, Any]) -> list[tuple[str, str]]:
    raw = data.get("messages")
    if not isinstance(raw, list) or not raw:
        raise _err(doc, ["messages"], "a prompt file needs a `messages:` list",
                   "e.g. messages: [{role: system, content: ...}, {role: user, content: '{{input}}'}]")
    out = []
    for i, m in enumerate(raw):
        role = m.get("role") if isinstance(m, dict) else None
        content = m.get("content") if isinstance(m, dict) else None
        if role not in ("system", "user", "assistant") or not isinstance(content, str):
            raise _err(doc, ["messages", i], f"messages[{i}] needs `role` (system, user or assistant) and a string `content`")
        out.append((role, content))
    if not any(r == "user" for r, _ in out):
        raise _err(doc, ["messages"], "the prompt has no user message to send", "add {role: user, content: '{{input}}'}")
    return out


def _evaluator(doc: Document, i: int, ev: Any, row: dict[str, Any]) -> dict[str, Any]:
    at: list[str | int] = ["evaluators", i]
    if not isinstance(ev, dict):
        raise _err(doc, at, f"evaluators[{i}] must be a mapping")
    name = str(ev.get("name") or f"evaluator-{i + 1}")
    kinds = [k for k in ("string", "llm", "uses") if ev.get(k) is not None]
    if len(kinds) != 1:
        raise _err(doc, at, f"evaluator {name!r} needs exactly one of `string`, `llm` or `uses`")
    if kinds[0] == "string":
        s = ev["string"]
        checks = {k: s[k] for k in ("equals", "contains", "startsWith", "endsWith")
                  if isinstance(s, dict) and isinstance(s.get(k), str) and s[k]}
        if len(checks) != 1:
            raise _err(doc, [*at, "string"], f"evaluator {name!r}: `string` needs one of equals, contains, startsWith, endsWith")
        (kind, value), = checks.items()
        value = template(value, row)
        if kind == "equals":
            return {"type": "equals", "value": value, "name": name}
        if kind == "contains":
            return {"type": "icontains", "value": value, "name": name}
        anchored = rf"(?i)\A\s*{re.escape(value)}" if kind == "startsWith" else rf"(?i){re.escape(value)}\s*\Z"
        return {"type": "regex", "value": anchored, "name": name}
    if kinds[0] == "uses":
        uses = str(ev["uses"])
        builtin = _BUILTINS.get(uses.removeprefix("github/")) if uses.startswith("github/") else None
        if builtin is None:
            raise _err(doc, [*at, "uses"], f"evaluator {name!r}: unknown evaluator {uses!r}",
                       "use one of: " + ", ".join(f"github/{k}" for k in _BUILTINS))
        spec = {**builtin, "name": name, "threshold": LLM_THRESHOLD}
        return spec
    llm = ev["llm"]
    if not isinstance(llm, dict) or not isinstance(llm.get("prompt"), str) or not llm["prompt"].strip():
        raise _err(doc, [*at, "llm"], f"evaluator {name!r}: `llm` needs a `prompt`")
    criteria = template(llm["prompt"], {**row, "completion": "the actual output"})
    args: dict[str, Any] = {"github_choices": llm.get("choices") or []}
    if isinstance(llm.get("modelId"), str):
        args["github_model"] = llm["modelId"]
    return {"type": "g-eval", "name": name, "value": criteria, "threshold": LLM_THRESHOLD, "args": args}


def _context(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def to_eval_set(doc: Document) -> dict[str, Any]:
    """The agentci eval-set dict for a `.prompt.yml` document; raises AgentciError on bad input."""
    data = doc.data
    if not isinstance(data, dict):
        raise _err(doc, [], "a prompt file must be a YAML mapping with `messages`")
    messages = _messages(doc, data)
    rows = data.get("testData")
    if rows is None:
        rows = [{}]  # no test data: the messages as written are the one case
    if not isinstance(rows, list) or not rows:
        raise _err(doc, ["testData"], "`testData` must be a non-empty list of rows", "e.g. testData: [{input: ..., expected: ...}]")
    evaluators = data.get("evaluators") or []
    if not isinstance(evaluators, list):
        raise _err(doc, ["evaluators"], "`evaluators` must be a list")
    cases = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise _err(doc, ["testData", i], f"testData[{i}] must be a mapping of variable names to values")
        system = "\n\n".join(template(c, row) for r, c in messages if r == "system")
        turns = [(r, template(c, row)) for r, c in messages if r != "system"]
        # agentci sends one user turn: earlier turns of a few-shot prompt travel inside it.
        user = turns[-1][1] if len(turns) == 1 else "\n\n".join(f"{r}: {c}" for r, c in turns)
        case: dict[str, Any] = {
            "id": str(row.get("id") or f"test-{i + 1}"),
            "_line": doc.line_of(["testData", i]),
            "input": user,
            "vars": {k: v for k, v in row.items() if k not in ("id", "context")},
            "assert": [_evaluator(doc, j, ev, row) for j, ev in enumerate(evaluators)],
        }
        if system:
            case["system"] = _verbatim(system)
        if row.get("expected") is not None:
            case["expected"] = str(row["expected"])
        if _context(row.get("context")):
            case["context"] = _context(row.get("context"))
        cases.append(case)
    out: dict[str, Any] = {"cases": cases}
    if isinstance(data.get("description") or data.get("name"), str):
        out["description"] = data.get("description") or data.get("name")
    params = data.get("modelParameters")
    if isinstance(data.get("model"), str) or isinstance(params, dict):
        # Informational: the agent's provider runs the cases; `--provider` can point elsewhere.
        out["model"] = {"name": data.get("model"), **(params if isinstance(params, dict) else {})}
    return out
