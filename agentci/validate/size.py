"""Prompt size against the model's context window (known models; ~4 chars per token otherwise)."""

from __future__ import annotations

from agentci.findings import Finding, error, warning
from agentci.validate.context import Context

#: Context windows in tokens. Matched on the longest prefix of the lower-cased model name
#: (a provider prefix such as "openai/" is stripped first).
CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4-turbo": 128_000,
    "gpt-4-32k": 32_768,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "gpt-5": 400_000,
    "o1": 200_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude-3-5": 200_000,
    "claude-3-7": 200_000,
    "claude-3": 200_000,
    "claude-sonnet-4": 200_000,
    "claude-opus-4": 200_000,
    "claude-haiku-4": 200_000,
    "gemini-1.5-pro": 2_097_152,
    "gemini-1.5-flash": 1_048_576,
    "gemini-2": 1_048_576,
    "llama-3.1": 128_000,
    "llama-3.2": 128_000,
    "llama3": 8_192,
    "mistral": 32_768,
    "qwen2.5": 32_768,
    "phi-3": 4_096,
    "smollm2": 8_192,
    "local": 8_192,
}

CHARS_PER_TOKEN = 4
#: Above this share of the window the prompt leaves little room for the conversation.
NEAR_LIMIT = 0.8


def context_window(model: str) -> int | None:
    name = model.lower().rsplit("/", 1)[-1]
    best = max((p for p in CONTEXT_WINDOWS if name.startswith(p)), key=len, default=None)
    return CONTEXT_WINDOWS[best] if best else None


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for agent in ctx.repo.agents:
        if not agent.prompt:
            continue
        window = agent.model.context_window or context_window(agent.model.name)
        text = ctx.text(agent.prompt)
        if window is None or text is None:
            continue
        tokens = estimate_tokens(text)
        max_tokens = agent.model.params.get("max_tokens")
        reserve = max_tokens if isinstance(max_tokens, int) else 0
        doc = ctx.repo.documents[agent.manifest]
        what = f"{agent.prompt} is ~{tokens:,} tokens (estimated at {CHARS_PER_TOKEN} chars/token)"
        if tokens + reserve > window:
            out.append(
                error(
                    "prompt-too-large",
                    agent.manifest,
                    doc.line_of(["agent", "prompt"]),
                    f"{what}; with max_tokens {reserve:,} it exceeds {agent.model.name}'s {window:,}-token context window",
                    "shorten the prompt, lower max_tokens, or set model.context_window if the model's window is larger",
                )
            )
        elif tokens > window * NEAR_LIMIT:
            out.append(
                warning(
                    "prompt-near-limit",
                    agent.manifest,
                    doc.line_of(["agent", "prompt"]),
                    f"{what}: over {NEAR_LIMIT:.0%} of {agent.model.name}'s {window:,}-token window",
                    "shorten the prompt to leave room for the conversation",
                )
            )
    return out
