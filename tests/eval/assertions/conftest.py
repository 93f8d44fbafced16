"""Helpers for assertion tests: a Context around a given output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agentci.eval.assertions.base import AssertionResult, Context
from agentci.eval.assertions.registry import parse_spec, run_assertion
from agentci.eval.providers.base import Response


def make_ctx(output: str, **kw: Any) -> Context:
    response = kw.pop("response", None) or Response(text=output)
    return Context(input=kw.pop("input", "question?"), output=output, response=response, **kw)


@pytest.fixture
def check() -> Callable[..., AssertionResult]:
    """check({type: ..., value: ...}, output, **context fields) -> AssertionResult."""

    def run(entry: dict[str, Any], output: str, **kw: Any) -> AssertionResult:
        return run_assertion(parse_spec(entry), make_ctx(output, **kw))

    return run
