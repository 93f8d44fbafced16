"""What each model family accepts, decided before any call (and said once by `validate`).

The rules follow what the APIs answer today:
- OpenAI reasoning models (o1, o3, o4-mini, the gpt-5 family) reject `max_tokens` ("Use
  'max_completion_tokens' instead", code `unsupported_parameter`) and `temperature`/`top_p`
  other than the default (code `unsupported_value`; o1/o3-mini/o4-mini: `unsupported_parameter`
  for any value). api.openai.com deprecates `max_tokens` for every chat model
  (openai-python `completion_create_params.py`: "This value is now deprecated in favor of
  `max_completion_tokens`"), so it gets `max_completion_tokens`; servers that only know the
  old name (vLLM, llama.cpp, Ollama, older Azure api-versions) keep `max_tokens`.
- Anthropic models from Claude Opus 4.1 / Sonnet 4.5 / Haiku 4.5 on accept only one of
  `temperature` and `top_p` ("`temperature` and `top_p` cannot both be specified for this
  model. Please use only one."); the Messages API requires `max_tokens`.
Where a rule is missing or wrong for a model, the provider adapts once on the API's 400
(see `OpenAIProvider`/`AnthropicProvider`) instead of failing every case.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: o1, o3-mini, o4-mini-2025-04-16, gpt-5, gpt-5.1-mini, gpt-5.2-chat-latest (which also takes
#: only the default temperature), with or without a router prefix (`openai/`)
_OPENAI_REASONING = re.compile(r"^(o\d+|gpt-5)([.-]|$)")
_CLAUDE_VERSION = re.compile(
    r"claude-(?:(?:opus|sonnet|haiku)-(\d+)(?:-(\d))?(?:-|$)|(\d+)(?:-(\d))?-(?:opus|sonnet|haiku))"
)


@dataclass(frozen=True)
class Adjustment:
    """One parameter the model will not get as written, and why (shown once by validate)."""

    param: str
    model: str
    action: str  # "dropped" | "renamed to max_completion_tokens"
    reason: str

    def message(self) -> str:
        return f"model {self.model!r} does not accept `{self.param}` as written: {self.action} ({self.reason})"


def bare(model: str) -> str:
    """`openai/o4-mini` (GitHub Models, routers) → `o4-mini`."""
    return model.rsplit("/", 1)[-1].strip().lower()


@functools.lru_cache(maxsize=256)  # asked per request, answered per model
def openai_reasoning(model: str) -> bool:
    return bool(_OPENAI_REASONING.match(bare(model)))


def openai_params(
    model: str, params: dict[str, object], *, completion_tokens: bool
) -> tuple[dict[str, object], list[Adjustment]]:
    """The chat-completions parameters to send for `model`, and what was changed.

    `completion_tokens`: the endpoint knows `max_completion_tokens` (api.openai.com, GitHub
    Models, Azure v1); reasoning models need it wherever they are served.
    """
    out = dict(params)
    notes: list[Adjustment] = []
    reasoning = openai_reasoning(model)
    if reasoning:
        for key in ("temperature", "top_p"):
            if key in out:  # o3-mini refuses even the default; leaving it out is always safe
                notes.append(
                    Adjustment(
                        key, model, "dropped", f"reasoning models take only the default {key}"
                    )
                )
                del out[key]
    if "max_tokens" in out and (reasoning or completion_tokens):
        out["max_completion_tokens"] = out.pop("max_tokens")
        if reasoning:
            notes.append(
                Adjustment(
                    "max_tokens",
                    model,
                    "sent as max_completion_tokens",
                    "reasoning models reject max_tokens; the budget includes reasoning tokens",
                )
            )
    return out, notes


def claude_version(model: str) -> tuple[int, int] | None:
    m = _CLAUDE_VERSION.search(bare(model))
    if not m:
        return None
    major, minor = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return int(major), int(minor or 0)


def claude_one_sampler(model: str) -> bool:
    """Claude Opus 4.1, Sonnet/Haiku/Opus 4.5 and later take temperature or top_p, not both."""
    v = claude_version(model)
    return v is not None and v >= (4, 1)


def claude_max_tokens(model: str) -> int:
    """A default output budget the model accepts: Claude 3 (Haiku/Sonnet/Opus 3.0) caps output
    at 4096 tokens; 3.5 and later allow 8192 or more. Enough that an ordinary answer is not cut."""
    v = claude_version(model)
    if v is not None and v < (3, 5):
        return 4096
    return 8192


def anthropic_params(
    model: str, params: dict[str, object]
) -> tuple[dict[str, object], list[Adjustment]]:
    out = dict(params)
    notes: list[Adjustment] = []
    if "temperature" in out and "top_p" in out and claude_one_sampler(model):
        del out["top_p"]
        notes.append(
            Adjustment(
                "top_p",
                model,
                "dropped",
                "this model takes temperature or top_p, not both; temperature kept",
            )
        )
    return out, notes


def adjustments(provider: str, model: str, params: dict[str, object]) -> list[Adjustment]:
    """What `validate` warns about: the parameters this provider/model will not get as written."""
    if provider in ("openai", "github", "azure"):
        return openai_params(model, params, completion_tokens=True)[1]
    if provider == "anthropic":
        return anthropic_params(model, params)[1]
    return []
