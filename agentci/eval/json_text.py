"""JSON in model output: models wrap it in prose or fenced code blocks, so it is looked for
in this order: the whole output, each ```json fenced block, then the first {...} or [...]
that parses. Used by the JSON assertions and by the judge reading its verdicts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class FoundJson:
    value: Any
    where: str  # "the output", "a ```json block", "the output at offset 12"


def extract_json(text: str) -> FoundJson | None:
    stripped = text.strip()
    try:
        return FoundJson(json.loads(stripped), "the output")
    except ValueError:
        pass
    for m in _FENCE.finditer(text):
        try:
            return FoundJson(json.loads(m.group(2)), f"a fenced {m.group(1) or 'code'} block")
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text, i)
            except ValueError:
                continue
            return FoundJson(value, f"the output at offset {i}")
    return None
