"""What a run cost: token usage × a price table, per case, per agent and per run.

Prices are USD per 1M tokens, standard (non-batch) tier, read from the providers'
pricing pages on PRICES_AS_OF (sources below); agentci.yaml `eval.prices` adds or
overrides entries ("provider:model": {input, cached_input, output}). Reasoning tokens
are billed as output tokens (they are part of `completion_tokens`). Answers served from
agentci's cache cost 0 (and say `cached`). The local model costs 0. A model with no
price has cost null and the report says which price is missing: never a guess.
Judge calls (LLM-judged assertions) are not priced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PRICES_AS_OF = "2025-11-01"
SOURCES = {
    "openai": "https://openai.com/api/pricing (standard tier)",
    "anthropic": "https://www.anthropic.com/pricing#api (cached_input = prompt-cache read)",
}

#: (input, cached_input, output) USD per 1M tokens
_TABLE: dict[str, tuple[float, float, float]] = {
    "openai:gpt-4o": (2.50, 1.25, 10.00),
    "openai:gpt-4o-mini": (0.15, 0.075, 0.60),
    "openai:gpt-4.1": (2.00, 0.50, 8.00),
    "openai:gpt-4.1-mini": (0.40, 0.10, 1.60),
    "openai:gpt-4.1-nano": (0.10, 0.025, 0.40),
    "openai:gpt-5": (1.25, 0.125, 10.00),
    "openai:gpt-5-mini": (0.25, 0.025, 2.00),
    "openai:gpt-5-nano": (0.05, 0.005, 0.40),
    "openai:o3": (2.00, 0.50, 8.00),
    "openai:o3-mini": (1.10, 0.55, 4.40),
    "openai:o4-mini": (1.10, 0.275, 4.40),
    "anthropic:claude-sonnet-4-5": (3.00, 0.30, 15.00),
    "anthropic:claude-sonnet-4": (3.00, 0.30, 15.00),
    "anthropic:claude-haiku-4-5": (1.00, 0.10, 5.00),
    "anthropic:claude-opus-4-1": (15.00, 1.50, 75.00),
    "anthropic:claude-3-5-haiku": (0.80, 0.08, 4.00),
}
_DATED = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|-latest)$")


@dataclass(frozen=True)
class Price:
    key: str
    input: float
    cached_input: float
    output: float
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "input": self.input,
            "cached_input": self.cached_input,
            "output": self.output,
            "per": "1M tokens, USD",
            "source": self.source,
        }


def price_for(provider: str, model: str, overrides: dict[str, Any] | None = None) -> Price | None:
    """The price of `provider:model`: agentci.yaml first, then the table (date suffixes ignored)."""
    if provider == "local":
        return Price("local", 0.0, 0.0, 0.0, "the embedded model runs on this machine")
    names = [model, _DATED.sub("", model)]
    for name in dict.fromkeys(names):
        key = f"{provider}:{name}"
        own = (overrides or {}).get(key)
        if isinstance(own, dict):
            inp = _num(own.get("input"))
            out = _num(own.get("output"))
            if inp is not None and out is not None:
                cached = _num(own.get("cached_input"))
                return Price(
                    key, inp, inp if cached is None else cached, out, "agentci.yaml eval.prices"
                )
        if key in _TABLE:
            i, c, o = _TABLE[key]
            return Price(key, i, c, o, f"{SOURCES.get(provider, '')}, as of {PRICES_AS_OF}")
    return None


def case_cost(tokens: dict[str, Any] | None, cached: bool, price: Price | None) -> float | None:
    """USD for one answer; 0 when it came from the cache; None when unpriced or without usage."""
    if cached:
        return 0.0
    if price is None or not isinstance(tokens, dict):
        return None
    inp, out = tokens.get("input"), tokens.get("output")
    if not isinstance(inp, int) or not isinstance(out, int):
        return None
    raw_hit = tokens.get("cached_input")
    hit = raw_hit if isinstance(raw_hit, int) else 0
    fresh = max(0, inp - hit)
    return round(
        (fresh * price.input + hit * price.cached_input + out * price.output) / 1_000_000, 8
    )


def total(values: list[float | None]) -> float | None:
    """Sum of known costs; None when none is known."""
    known = [v for v in values if isinstance(v, (int, float))]
    return round(sum(known), 8) if known else None


def increase(head: float | None, base: float | None) -> float | None:
    """(head - base) / base, None when either is unknown or base is 0."""
    if head is None or base is None or base <= 0:
        return None
    return round((head - base) / base, 6)


def _num(value: Any) -> float | None:
    return (
        float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
        else None
    )
