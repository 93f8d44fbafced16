"""The single list of assertion types. Kept import-light: the schema reads it at validate time.

Each name maps to the module of `agentci.eval.assertions` that implements it (one module per
assertion or family); `agentci.eval.assertions.registry` imports them lazily. It lives in the
core layer because the eval-set schema (`agentci.schema`) needs the names, not the code.
"""

from __future__ import annotations

ASSERTION_MODULES: dict[str, str] = {
    "equals": "text",
    "contains": "text",
    "icontains": "text",
    "not-contains": "text",
    "not-icontains": "text",
    "starts-with": "text",
    "regex": "text",
    "not-regex": "text",
    "contains-any": "text",
    "contains-all": "text",
    "is-json": "structured",
    "json-schema": "structured",
    "similar": "similar",
    "llm-rubric": "judged",
    "g-eval": "judged",
    "answer-relevancy": "judged",
    "faithfulness": "judged",
    "llm-choice": "llm_choice",
    "latency": "runtime",
    "max-tokens": "runtime",
    "tool-call": "tool_call",
}

ASSERTION_TYPES: frozenset[str] = frozenset(ASSERTION_MODULES)

#: Types that need a judge model (their cases cannot run without one).
JUDGED_TYPES: frozenset[str] = frozenset(
    {"llm-rubric", "g-eval", "answer-relevancy", "faithfulness", "llm-choice"}
)
