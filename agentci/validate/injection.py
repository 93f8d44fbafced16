"""Knowledge files that try to override the agent's instructions (prompt injection) -> warning."""

from __future__ import annotations

import re

from agentci.findings import Finding, warning
from agentci.validate.context import Context

_PATTERNS = [
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?"
    r"(?:previous|prior|above|earlier|preceding|original|system|existing)\s+"
    r"(?:instructions?|prompts?|rules|directions|guidelines|context|messages?)",
    r"\b(?:disregard|ignore|forget)\s+(?:the\s+|your\s+)?system\s+prompt",
    r"\byou\s+are\s+now\s+(?:a|an|the|in|no\s+longer|free|dan|unrestricted|jailbroken)\b",
    r"\bnew\s+(?:system\s+)?instructions\s*:",
    r"\b(?:reveal|print|repeat|show)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+prompt|hidden\s+instructions)",
    r"\bdo\s+anything\s+now\b",
    r"\bdeveloper\s+mode\s+(?:enabled|activated|on)\b",
    r"<\|im_start\|>|<\|system\|>|\[/?INST\]|<<SYS>>",
]
_RX = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
#: Every pattern contains one of these; plain substring tests skip clean files ~20x faster than _RX.
_TRIGGERS = (
    "ignore",
    "disregard",
    "forget",
    "override",
    "bypass",
    "you are now",
    "instructions",
    "system prompt",
    "anything now",
    "developer mode",
    "<|",
    "inst]",
    "<<sys>>",
)


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    for agent in ctx.repo.agents:
        for path in ctx.knowledge_files(agent):
            if path in seen:
                continue
            seen.add(path)
            text = ctx.text(path)
            if not text:
                continue
            low = text.lower()
            if not any(t in low for t in _TRIGGERS):
                continue
            for m in _RX.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
                snippet = " ".join(m.group(0).split())[:60]
                out.append(
                    warning(
                        "knowledge-injection",
                        path,
                        line,
                        f"instruction-override text in knowledge: {snippet!r}",
                        "remove or rephrase it; agents read knowledge as trusted context",
                        col,
                    )
                )
    return out
