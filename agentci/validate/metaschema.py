"""Check a JSON Schema against its metaschema, fast.

The draft 2020-12 metaschema is seven vocabulary schemas joined by `allOf` and
`$dynamicRef: "#meta"`; jsonschema resolves those references dynamically at every
level, ~0.5 ms per small schema. Merged into one document with `$ref: "#"` (the same
keywords and constraints: the dynamic anchor only matters to metaschemas that extend
this one), the same check takes about a fifth of that, which is what keeps a
1,000-agent repo inside its time budget. Schemas that name another draft in `$schema`
are checked against that draft's own metaschema.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_VOCABULARIES = (
    "core",
    "applicator",
    "unevaluated",
    "validation",
    "meta-data",
    "format-annotation",
    "content",
)


def _static(node: Any) -> Any:
    """`$dynamicRef: "#meta"` -> `$ref: "#"`; `meta/<vocabulary>#/$defs/x` -> `#/$defs/x`."""
    if isinstance(node, dict):
        out = {k: _static(v) for k, v in node.items() if k != "$dynamicRef"}
        if node.get("$dynamicRef") == "#meta":
            out["$ref"] = "#"
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("meta/") and "#" in ref:
            out["$ref"] = "#" + ref.split("#", 1)[1]
        return out
    if isinstance(node, list):
        return [_static(v) for v in node]
    return node


MERGED_FILE = "metaschema-2020-12.json"


@cache
def merged_2020_12() -> dict[str, Any]:
    """The draft 2020-12 metaschema as one self-contained document (shipped pre-built, so
    checking a valid schema needs no jsonschema import; a test rebuilds and compares it)."""
    text = (Path(__file__).parent / MERGED_FILE).read_text(
        "utf-8"
    )  # no importlib.resources: see agentci.schema
    merged: dict[str, Any] = json.loads(text)
    return merged


def build_merged_2020_12() -> dict[str, Any]:
    from jsonschema import Draft202012Validator
    from jsonschema_specifications import REGISTRY

    top = Draft202012Validator.META_SCHEMA
    properties: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for name in _VOCABULARIES:
        vocab = REGISTRY.contents(f"https://json-schema.org/draft/2020-12/meta/{name}")
        properties.update(vocab.get("properties", {}))
        defs.update(vocab.get("$defs", {}))
    properties.update(top.get("properties", {}))
    return _static(
        {
            "$schema": DRAFT_2020_12,
            "type": ["object", "boolean"],
            "properties": properties,
            "$defs": defs,
        }
    )


@cache
def _checker(schema_uri: str) -> Any:
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for

    cls = validator_for({"$schema": schema_uri}, default=Draft202012Validator)
    if cls is Draft202012Validator:
        return Draft202012Validator(
            merged_2020_12(), format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    meta_cls = validator_for(cls.META_SCHEMA, default=cls)
    return meta_cls(cls.META_SCHEMA, format_checker=meta_cls.FORMAT_CHECKER)


@cache
def _gate() -> Any:
    from agentci.fastschema import gate

    return gate(merged_2020_12(), formats=True)


def schema_errors(schema: Any) -> list[Any]:
    """The best error of `schema` against its metaschema ($schema, else draft 2020-12), or []."""
    if not isinstance(schema, (dict, bool)):
        return []
    uri = schema.get("$schema") if isinstance(schema, dict) else None
    uri = uri if isinstance(uri, str) else DRAFT_2020_12
    fast = _gate() if uri.rstrip("#") == DRAFT_2020_12 else None
    if fast is not None and fast(schema):
        return []
    from jsonschema.exceptions import best_match

    best = best_match(_checker(uri).iter_errors(schema))
    return [best] if best is not None else []
