"""`search_knowledge`: a small lexical index (Okapi BM25) over the knowledge deployed for an agent.

Why BM25 and not embeddings: it needs no model, no network and no key, ranks a few thousand
passages in milliseconds, and its ranking is explainable (the query's words are in the passage).
Semantic recall is what it lacks: a query for "refund" does not find "money back". An agent
runtime that needs that can index the same `/knowledge` files itself.

Passages are paragraphs (split on blank lines) merged up to `PASSAGE_CHARS`; each keeps its file
and first line. Tokens are lower-cased word characters with a light English suffix strip
(-s, -es, -ed, -ing), so "refund" finds "refunds". Scoring: k1=1.5, b=0.75, idf
`ln(1 + (N - df + 0.5) / (df + 0.5))` (always positive). The index is rebuilt only when the
files it covers change (the server keys it by the deployed knowledge release and the policy).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

PASSAGE_CHARS = 1200
K1, B = 1.5, 0.75
_WORD = re.compile(r"\w+", re.UNICODE)


_SUFFIXES = ("ing", "ed", "es", "s")


def tokens(text: str) -> list[str]:
    return [_stem(t) for t in _WORD.findall(text.lower())]


def _stem(token: str) -> str:
    """A light suffix strip ("refunds", "refunded" -> "refund"), enough for plural and tense."""
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.endswith("ss"):
            return token[: -len(suffix)]
    return token


@dataclass(frozen=True)
class Passage:
    path: str
    line: int
    text: str


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    score: float
    text: str

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "score": round(self.score, 4),
            "text": self.text,
        }


def passages(path: str, text: str) -> list[Passage]:
    out: list[Passage] = []
    buf: list[str] = []
    start = line_no = 1

    def flush() -> None:
        if buf:
            out.append(Passage(path, start, "\n\n".join(buf)))
            buf.clear()

    for block in re.split(r"(\n\s*\n)", text):
        if block.strip():
            # A paragraph longer than a passage is cut into pieces, not dropped.
            for i in range(0, len(block), PASSAGE_CHARS):
                piece = block[i : i + PASSAGE_CHARS].strip()
                if buf and sum(map(len, buf)) + len(piece) > PASSAGE_CHARS:
                    flush()
                if not buf:
                    start = line_no
                buf.append(piece)
        line_no += block.count("\n")
    flush()
    return out


class Index:
    def __init__(self, docs: dict[str, str]) -> None:
        self.passages: list[Passage] = [
            p for path in sorted(docs) for p in passages(path, docs[path])
        ]
        self._tf: list[Counter[str]] = [Counter(tokens(p.text)) for p in self.passages]
        self._len = [sum(tf.values()) for tf in self._tf]
        self._avg = (sum(self._len) / len(self._len)) if self._len else 0.0
        df: Counter[str] = Counter()
        for tf in self._tf:
            df.update(tf.keys())
        n = len(self.passages)
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def search(self, query: str, limit: int) -> list[Hit]:
        terms = set(tokens(query)) & self._idf.keys()
        if not terms or limit <= 0:
            return []
        scored: list[tuple[float, int]] = []
        for i, tf in enumerate(self._tf):
            score = 0.0
            norm = K1 * (1 - B + B * self._len[i] / self._avg) if self._avg else K1
            for t in terms:
                f = tf.get(t)
                if f:
                    score += self._idf[t] * f * (K1 + 1) / (f + norm)
            if score > 0:
                scored.append((score, i))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [
            Hit(self.passages[i].path, self.passages[i].line, s, self.passages[i].text)
            for s, i in scored[:limit]
        ]
