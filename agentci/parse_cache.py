"""Parsed big documents, kept in agentci's cache (`agentci.cachedb`) by content hash.

A 2,000-case eval set (300 kB of YAML) takes ~300 ms to parse with line numbers and ~5 ms
to load from here, so an unchanged re-run does not parse it again. The key hashes the text
with everything that decides the parse (parser version, PyYAML version, depth limit, JSON or
YAML), so an entry is never stale. Only clean parses are kept (no findings: the path-bound
messages are made fresh each time), only data that JSON holds exactly (str keys; no dates,
binary or sets), and never a text holding a known credential (secrets stay out of caches).
The value is JSON, never pickle: a planted entry can at worst describe a document, not run
code, and the cache folder is trusted like the answers in it (see `agentci.cachedb`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentci import cachedb

if TYPE_CHECKING:  # documents calls this module: a type-only import keeps them acyclic
    from agentci.documents import Document

KIND = "parsed"
#: "this text passed this schema" (its key hashes both)
SCHEMA_KIND = "schema-clean"
#: Bump when the parse or the line map changes meaning.
VERSION = 1

_stores: dict[Path, cachedb.Store] = {}


def _store() -> cachedb.Store:
    root = cachedb.default_dir()
    if root not in _stores:
        _stores[root] = cachedb.Store(root)
    return _stores[root]


def _key(doc: Document, max_depth: int) -> str:
    import yaml

    kind = "json" if doc.path.endswith(".json") else "yaml"
    head = f"{kind}\0{VERSION}\0{yaml.__version__}\0{max_depth}\0".encode()
    return hashlib.sha256(head + doc.text.encode("utf-8", "surrogatepass")).hexdigest()


def load(doc: Document, max_depth: int) -> bool:
    """Fill `doc` (data and line map) from the cache; False on a miss. `max_depth`: the
    parser's nesting limit, part of the key (a verdict under another limit is not reused)."""
    if not cachedb.enabled():
        return False
    raw = _store().get(KIND, _key(doc, max_depth))
    if raw is None:
        return False
    try:
        entry = json.loads(raw)
        data, tree = entry["data"], entry["lines"]
    except (ValueError, TypeError, KeyError):
        return False
    if not isinstance(tree, list) or not tree:
        return False
    doc.data, doc._line_tree = data, tree
    return True


def save(doc: Document, max_depth: int) -> None:
    if not cachedb.enabled() or doc.findings or doc.data is None or not _plain(doc.data):
        return
    from agentci import redact

    if redact.text(doc.text) != doc.text:
        return
    entry = {"data": doc.data, "lines": line_tree(doc.all_lines())}
    try:
        raw = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError):
        return
    _store().put(KIND, _key(doc, max_depth), raw)


def schema_clean(doc: Document, name: str, schema: dict[str, Any]) -> bool:
    """Whether this very text passed this very schema before (a big set's check costs ~0.1 s)."""
    if not cachedb.enabled():
        return False
    return _store().get(SCHEMA_KIND, _schema_key(doc, name, schema)) == b"clean"


def remember_schema_clean(doc: Document, name: str, schema: dict[str, Any]) -> None:
    if cachedb.enabled():
        _store().put(SCHEMA_KIND, _schema_key(doc, name, schema), b"clean")


def _schema_key(doc: Document, name: str, schema: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()
    # a schema verdict depends on the text alone, not on the parser's nesting limit
    return hashlib.sha256(f"{_key(doc, 0)}\0{name}\0{digest}".encode()).hexdigest()


def _plain(data: Any) -> bool:
    """Whether JSON gives `data` back exactly: str keys, JSON scalars (PyYAML may build dates,
    bytes, sets and int keys)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if not all(type(k) is str for k in value):
                return False
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif value is not None and type(value) not in (str, int, float, bool):
            return False
    return True


def line_tree(lines: dict[tuple[str | int, ...], int]) -> Any:
    """`Document.lines` as a tree: a leaf is its line, any other node `[line, {str(key or
    index): subtree}]`. As JSON it loads several times faster than (path, line) pairs
    (16,000 of them for 2,000 cases)."""
    root: dict[str, Any] = {"line": lines.get((), 1), "sub": {}}
    for path in sorted(lines, key=len):
        node = root
        for part in path:
            node = node["sub"].setdefault(str(part), {"line": node["line"], "sub": {}})
        node["line"] = lines[path]
    return _packed(root)


def _packed(node: dict[str, Any]) -> Any:
    if not node["sub"]:
        return node["line"]
    return [node["line"], {k: _packed(v) for k, v in node["sub"].items()}]
