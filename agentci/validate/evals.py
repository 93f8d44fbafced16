"""Eval sets: regex values compile and json-schema values are valid schemas."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from agentci.documents import Document
from agentci.eval import prompt_yml
from agentci.eval.cases import PROMPT_YML
from agentci.findings import Finding, error
from agentci.validate.context import Context
from agentci.validate.metaschema import schema_errors

REGEX_TYPES = {"regex", "not-regex"}


def _assertions(data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    defaults = data.get("defaults")
    if isinstance(defaults, dict) and isinstance(defaults.get("assert"), list):
        for j, a in enumerate(defaults["assert"]):
            if isinstance(a, dict):
                yield ("defaults", "assert", j), a
    cases = data.get("cases")
    for i, case in enumerate(cases if isinstance(cases, list) else []):
        if isinstance(case, dict) and isinstance(case.get("assert"), list):
            for j, a in enumerate(case["assert"]):
                if isinstance(a, dict):
                    yield ("cases", i, "assert", j), a


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    memo: dict[
        str, list[Any]
    ] = {}  # eval sets repeat the same schema (defaults copied between sets)
    for agent in ctx.repo.agents:
        for path in agent.evals:
            doc = ctx.repo.documents.get(path)
            if doc is None or path in seen or not isinstance(doc.data, dict):
                continue
            seen.add(path)
            if path.endswith(
                PROMPT_YML
            ):  # GitHub Models' own shape: every problem, each with its line
                out += [
                    error("prompt-file", path, p.line, p.text, p.hint or "")
                    for p in prompt_yml.problems(doc)
                ]
                continue
            out += _check_set(doc, memo)
    return out


def _check_set(doc: Document, memo: dict[str, list[Any]]) -> list[Finding]:
    out: list[Finding] = []
    for key_path, a in _assertions(doc.data):
        kind, value = a.get("type"), a.get("value")
        if kind in REGEX_TYPES and isinstance(value, str):
            try:
                re.compile(value)
            except re.error as exc:
                out.append(
                    error(
                        "eval-regex",
                        doc.path,
                        doc.line_of([*key_path, "value"]),
                        f"{kind} value {value[:60]!r} does not compile: {exc}",
                        "fix the pattern; in double-quoted YAML write \\\\d for \\d",
                    )
                )
        elif kind in REGEX_TYPES and value is not None:
            out.append(
                error(
                    "eval-regex",
                    doc.path,
                    doc.line_of([*key_path, "value"]),
                    f"{kind} value must be a string",
                    "write the pattern as a string",
                )
            )
        elif kind == "json-schema" and value is not None:
            schema = value
            if isinstance(value, str):
                try:
                    schema = json.loads(value)
                except (json.JSONDecodeError, RecursionError):
                    out.append(
                        error(
                            "eval-json-schema",
                            doc.path,
                            doc.line_of([*key_path, "value"]),
                            "json-schema value is a string but not JSON",
                            "write the schema as a YAML mapping",
                        )
                    )
                    continue
            if not isinstance(schema, (dict, bool)):
                out.append(
                    error(
                        "eval-json-schema",
                        doc.path,
                        doc.line_of([*key_path, "value"]),
                        f"json-schema value must be a schema object, got {type(schema).__name__}",
                        "write the schema as a YAML mapping",
                    )
                )
                continue
            key = json.dumps(schema, sort_keys=True, default=str)
            if key not in memo:
                memo[key] = schema_errors(schema)
            for err in memo[key]:
                msg = err.message if len(err.message) < 160 else err.message[:160] + "…"
                out.append(
                    error(
                        "eval-json-schema",
                        doc.path,
                        doc.line_of([*key_path, "value", *err.absolute_path]),
                        f"json-schema value is not a valid JSON Schema: {msg}",
                        "fix the schema keyword in the assertion's value",
                    )
                )
    return out
