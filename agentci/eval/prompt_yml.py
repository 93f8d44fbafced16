"""GitHub Models `*.prompt.yml` files as agentci eval sets, accepted as they are.

The format as `gh models eval` reads it (github/gh-models `pkg/prompt/prompt.go`,
`cmd/eval/eval.go`): `model`, `modelParameters` (maxTokens, temperature, topP),
`responseFormat` (text | json_object | json_schema) with `jsonSchema` (a JSON string
holding `name` and `schema`), `messages` with `{{var}}` placeholders, `testData` rows
that fill them, and `evaluators`, each one of
  string: {equals | contains | startsWith | endsWith}   (all but equals ignore case)
  llm:    {modelId, prompt, choices, systemPrompt}      (scored by choice, see llm_choice.py)
  uses:   github/similarity | coherence | fluency | relevance | groundedness
Each row becomes a case: the user message is the input, the system message (if any)
replaces the agent's prompt for that case, `expected` and `context` keep their
meaning, and every evaluator becomes an assertion (every one must pass, as in
`gh models eval`). The built-in `uses:` evaluators run through agentci's judge (deepeval
GEval, 0-1 scale, 0.5 pass mark) where GitHub passes any non-zero star; that is where
verdicts can differ. A response format becomes a check too: the answer must be JSON
(matching the schema). Case ids come from the row's content (`row-<hash>`, or the row's
own `id`), so they stay put when rows are added or reordered; a file without `testData`
is one case, `prompt`. A placeholder no row fills in a user message is that case's
error, never sent as `{{input}}` (in the system message it stays as written, as GitHub
leaves it). `problems(doc)` lists everything wrong with a file at once (for validate).
"""

from __future__ import annotations

import json
import re
from typing import Any

from agentci.documents import Document
from agentci.errors import AgentciError

_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")
LLM_THRESHOLD = 0.5
RESPONSE_FORMATS = ("text", "json_object", "json_schema")

# The built-in evaluators, mapped to the nearest agentci assertion.
_BUILTINS: dict[str, dict[str, Any]] = {
    "similarity": {
        "type": "g-eval",
        "name": "similarity",
        "value": (
            "Equivalence: the actual output conveys the same information and content as the expected output."
        ),
    },
    "coherence": {
        "type": "g-eval",
        "name": "coherence",
        "value": (
            "Coherence: the actual output presents ideas logically and in order, directly addressing the input "
            "with clear connections between sentences."
        ),
    },
    "fluency": {
        "type": "g-eval",
        "name": "fluency",
        "value": (
            "Fluency: the actual output is grammatical, clear and readable, with appropriate vocabulary."
        ),
    },
    "relevance": {"type": "answer-relevancy", "name": "relevance"},
    "groundedness": {"type": "faithfulness", "name": "groundedness"},
}


class PromptFileError(AgentciError):
    """One problem in a prompt file, with the line it is on."""

    def __init__(self, line: int, message: str, hint: str = "") -> None:
        super().__init__(f"line {line}: {message}", hint=hint)
        self.line = line
        self.text = message


def template(text: str, data: dict[str, Any]) -> str:
    """GitHub Models' templating: `{{name}}` replaced by the row's value; unknown names stay."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return str(data[name]) if name in data else m.group(0)

    return _VAR.sub(sub, text)


def _verbatim(text: str) -> str:
    # agentci renders a case's system prompt as Jinja2; GitHub's placeholders are already
    # filled here, so whatever remains (braces in examples, `{%`) must reach the model as is.
    return (
        "{% raw %}"
        + text.replace("{% endraw %}", "{% endraw %}{{ '{% endraw %}' }}{% raw %}")
        + "{% endraw %}"
    )


class _Mapper:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[PromptFileError] = []

    def err(self, at: list[str | int], message: str, hint: str = "") -> None:
        self.problems.append(PromptFileError(self.doc.line_of(at), message, hint))

    def messages(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        raw = data.get("messages")
        if not isinstance(raw, list) or not raw:
            self.err(
                ["messages"],
                "a prompt file needs a `messages:` list",
                "e.g. messages: [{role: system, content: ...}, {role: user, content: '{{input}}'}]",
            )
            return []
        out = []
        for i, m in enumerate(raw):
            role = m.get("role") if isinstance(m, dict) else None
            content = m.get("content") if isinstance(m, dict) else None
            if role not in ("system", "user", "assistant") or not isinstance(content, str):
                self.err(
                    ["messages", i],
                    f"messages[{i}] needs `role` (system, user or assistant) and a string `content`",
                )
                continue
            out.append((role, content))
        if out and not any(r == "user" for r, _ in out):
            self.err(
                ["messages"],
                "the prompt has no user message to send",
                "add {role: user, content: '{{input}}'}",
            )
        return out

    def response_format(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """(params, the check the answer must pass) for `responseFormat` / `jsonSchema`."""
        kind = data.get("responseFormat")
        if kind is None or kind == "text":
            return {}, None
        if kind not in RESPONSE_FORMATS:
            self.err(
                ["responseFormat"],
                f"responseFormat {kind!r} is not one of {', '.join(RESPONSE_FORMATS)}",
            )
            return {}, None
        if kind == "json_object":
            return {"json_object": True}, {"type": "is-json", "name": "responseFormat"}
        raw = data.get("jsonSchema")
        if not isinstance(raw, str):
            self.err(
                ["jsonSchema" if raw is not None else "responseFormat"],
                "responseFormat json_schema needs `jsonSchema`: a JSON string with `name` and `schema`",
                'e.g. jsonSchema: \'{"name": "answer", "schema": {"type": "object"}}\'',
            )
            return {}, None
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            self.err(
                ["jsonSchema"], f"jsonSchema is not valid JSON: {exc.msg} (at character {exc.pos})"
            )
            return {}, None
        if (
            not isinstance(parsed, dict)
            or "name" not in parsed
            or not isinstance(parsed.get("schema"), dict)
        ):
            self.err(["jsonSchema"], "jsonSchema must hold `name` and a `schema` object")
            return {}, None
        params = {
            "json_schema": parsed["schema"],
            "json_schema_name": str(parsed["name"]),
            "json_schema_strict": parsed.get("strict") is True,
        }
        return params, {"type": "json-schema", "value": parsed["schema"], "name": "responseFormat"}

    def evaluator(self, i: int, ev: Any, row: dict[str, Any]) -> dict[str, Any] | None:
        at: list[str | int] = ["evaluators", i]
        if not isinstance(ev, dict):
            self.err(at, f"evaluators[{i}] must be a mapping")
            return None
        name = str(ev.get("name") or f"evaluator-{i + 1}")
        kinds = [k for k in ("string", "llm", "uses") if ev.get(k) is not None]
        if len(kinds) != 1:
            self.err(at, f"evaluator {name!r} needs exactly one of `string`, `llm` or `uses`")
            return None
        if kinds[0] == "string":
            return self.string(at, name, ev["string"], row)
        if kinds[0] == "uses":
            uses = str(ev["uses"])
            builtin = (
                _BUILTINS.get(uses.removeprefix("github/")) if uses.startswith("github/") else None
            )
            if builtin is None:
                self.err(
                    [*at, "uses"],
                    f"evaluator {name!r}: unknown evaluator {uses!r}",
                    "use one of: " + ", ".join(f"github/{k}" for k in _BUILTINS),
                )
                return None
            return {**builtin, "name": name, "threshold": LLM_THRESHOLD}
        llm = ev["llm"]
        if (
            not isinstance(llm, dict)
            or not isinstance(llm.get("prompt"), str)
            or not llm["prompt"].strip()
        ):
            self.err([*at, "llm"], f"evaluator {name!r}: `llm` needs a `prompt`")
            return None
        choices = llm.get("choices")
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, dict) and "choice" in c for c in choices)
        ):
            self.err(
                [*at, "llm", "choices"],
                f"evaluator {name!r}: `llm` needs `choices`: [{{choice, score}}, ...]",
                'e.g. choices: [{choice: "yes", score: 1.0}, {choice: "no", score: 0.0}]',
            )
            return None
        args: dict[str, Any] = {"choices": choices}
        if isinstance(llm.get("systemPrompt"), str):
            args["system_prompt"] = llm["systemPrompt"]
        if isinstance(llm.get("modelId"), str):
            args["model"] = llm["modelId"]
        return {
            "type": "llm-choice",
            "name": name,
            "value": template(llm["prompt"], row),
            "args": args,
        }

    def string(
        self, at: list[str | int], name: str, s: Any, row: dict[str, Any]
    ) -> dict[str, Any] | None:
        checks = {
            k: s[k]
            for k in ("equals", "contains", "startsWith", "endsWith")
            if isinstance(s, dict) and isinstance(s.get(k), str) and s[k]
        }
        if len(checks) != 1:
            self.err(
                [*at, "string"],
                f"evaluator {name!r}: `string` needs one of equals, contains, startsWith, endsWith",
            )
            return None
        ((kind, value),) = checks.items()
        value = template(value, row)
        if kind == "equals":
            return {"type": "equals", "value": value, "name": name}
        if kind == "contains":
            return {"type": "icontains", "value": value, "name": name}
        anchored = (
            rf"(?i)\A\s*{re.escape(value)}"
            if kind == "startsWith"
            else rf"(?i){re.escape(value)}\s*\Z"
        )
        return {"type": "regex", "value": anchored, "name": name}


def _context(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def case_id(row: dict[str, Any]) -> str:
    """The row's own `id`, else one derived from its content (stable across reorders)."""
    if row.get("id") is not None:
        return str(row["id"])
    blob = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    import hashlib  # here: `agentci validate` imports this module, rarely needs this

    return "row-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8]


def _map(doc: Document) -> tuple[dict[str, Any], list[PromptFileError]]:
    m = _Mapper(doc)
    data = doc.data
    if not isinstance(data, dict):
        m.err([], "a prompt file must be a YAML mapping with `messages`")
        return {"cases": []}, m.problems
    messages = m.messages(data)
    params, format_check = m.response_format(data)
    rows = data.get("testData")
    no_rows = rows is None
    if no_rows:
        rows = [{}]  # no test data: the messages as written are the one case
    if not isinstance(rows, list) or not rows:
        m.err(
            ["testData"],
            "`testData` must be a non-empty list of rows",
            "e.g. testData: [{input: ..., expected: ...}]",
        )
        rows = []
    evaluators = data.get("evaluators") or []
    if not isinstance(evaluators, list):
        m.err(["evaluators"], "`evaluators` must be a list")
        evaluators = []
    cases = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            m.err(["testData", i], f"testData[{i}] must be a mapping of variable names to values")
            continue
        filled = [(r, template(c, row)) for r, c in messages]
        system = "\n\n".join(c for r, c in filled if r == "system")
        turns = [(r, c) for r, c in filled if r != "system"]
        # agentci sends one user turn: earlier turns of a few-shot prompt travel inside it.
        user = turns[-1][1] if len(turns) == 1 else "\n\n".join(f"{r}: {c}" for r, c in turns)
        asserts = [
            a for j, ev in enumerate(evaluators) if (a := m.evaluator(j, ev, row)) is not None
        ]
        case: dict[str, Any] = {
            "id": "prompt" if no_rows else case_id(row),
            "_line": doc.line_of(["messages"] if no_rows else ["testData", i]),
            "input": user,
            "vars": {k: v for k, v in row.items() if k not in ("id", "context")},
            "assert": asserts + ([format_check] if format_check else []),
        }
        # A placeholder left in a user turn would reach the model as `{{input}}`; in a system
        # prompt it may be meant (a JSON or template example) and stays, as GitHub leaves it.
        unfilled = sorted({v for r, c in filled if r != "system" for v in _VAR.findall(c)})
        if unfilled:
            where = (
                "the file has no testData"
                if no_rows
                else f"testData[{i}] has no {', '.join(unfilled)}"
            )
            case["_error"] = (
                f"line {case['_line']}: the messages use {', '.join('{{' + v + '}}' for v in unfilled)} "
                f"but {where}; nothing is sent with a placeholder left in it"
            )
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
    out["model"] = {
        "name": data.get("model") if isinstance(data.get("model"), str) else None,
        "params": {**_model_params(data.get("modelParameters")), **params},
    }
    return out, m.problems


def _model_params(raw: Any) -> dict[str, Any]:
    """`modelParameters` in agentci's names (maxTokens → max_tokens, topP → top_p)."""
    if not isinstance(raw, dict):
        return {}
    names = {"maxTokens": "max_tokens", "temperature": "temperature", "topP": "top_p"}
    return {
        ours: raw[theirs]
        for theirs, ours in names.items()
        if isinstance(raw.get(theirs), (int, float)) and not isinstance(raw.get(theirs), bool)
    }


def to_eval_set(doc: Document) -> dict[str, Any]:
    """The agentci eval-set dict for a `.prompt.yml` document; raises the first problem."""
    out, problems = _map(doc)
    if problems:
        raise problems[0]
    return out


def problems(doc: Document) -> list[PromptFileError]:
    """Everything wrong with a prompt file, each with its line; unfilled placeholders included."""
    out, found = _map(doc)
    found += [
        PromptFileError(
            c["_line"],
            c["_error"].split(": ", 1)[1],
            "add the variable to every testData row (or remove the placeholder)",
        )
        for c in out["cases"]
        if c.get("_error")
    ]
    return sorted(found, key=lambda p: p.line)
