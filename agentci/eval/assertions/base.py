"""The assertion interface. One module per assertion or family; names.py is the single list.

An assertion is a function `check(spec, ctx) -> AssertionResult` registered with
`@register("type", ...)`. It returns pass, a score in [0, 1] and a reason a person
can read ("expected output to contain '30 days'"), never raises for a failed check:
an exception means the assertion could not run and the case becomes an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentci.errors import AgentciError

if TYPE_CHECKING:
    from agentci.eval.providers.base import Provider, Response


@dataclass(frozen=True)
class AssertionSpec:
    type: str
    value: Any = None
    weight: float = 1.0
    threshold: float | None = None
    args: dict[str, Any] = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True)
class AssertionResult:
    type: str
    passed: bool
    score: float
    reason: str
    weight: float = 1.0


@dataclass
class Context:
    """What an assertion may look at."""

    input: str
    output: str
    response: Response
    expected: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    context: list[str] = field(default_factory=list)  # knowledge texts, for faithfulness
    judge: Provider | None = None  # for LLM-judged assertions
    judge_model: str | None = None
    embedder: Provider | None = None
    embedding_model: str | None = None


Check = Callable[[AssertionSpec, Context], AssertionResult]


class SpecError(AgentciError):
    """An assertion entry that cannot run as written."""


_REGISTRY: dict[str, Check] = {}


def register(*types: str) -> Callable[[Check], Check]:
    def deco(fn: Check) -> Check:
        for t in types:
            _REGISTRY[t] = fn
        return fn

    return deco
