"""Parse YAML and JSON files into plain data while remembering where each key came from.

`load_document` never raises on bad input: it returns a `Document` whose `data` is
None and whose `findings` say what is wrong (syntax with line and column, encoding,
size, nesting, binary content), so one bad file never stops a run.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from agentci import yaml_tree
from agentci.findings import Finding, error, warning
from agentci.source import MAX_FILE_BYTES, PathEscape, Source

Path_ = tuple[str | int, ...]

#: Deeper documents are refused; PyYAML composes recursively and real configs are shallow.
MAX_DEPTH = 64


@dataclass
class Document:
    path: str  # repo-relative
    text: str = ""
    data: Any = None
    lines: dict[Path_, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: Line numbers are found when asked: most documents are valid and never asked, and
    #: indexing every path costs as much as parsing. YAML without aliases keeps its tree and
    #: follows each asked path down it; with aliases it keeps the node and indexes every
    #: path on the first ask (each node once); JSON is composed (as YAML) only then.
    _node: Any = field(default=None, repr=False, compare=False)
    _tree: yaml_tree.NodeLines | None = field(default=None, repr=False, compare=False)
    _json_lines: bool = field(default=False, repr=False, compare=False)
    #: The line map as the parse cache keeps it (`agentci.parse_cache.line_tree`), read per
    #: lookup instead of being expanded into `lines`.
    _line_tree: Any = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.data is not None

    def all_lines(self) -> dict[Path_, int]:
        """The line of every key path (what the parse cache keeps)."""
        if self._tree is not None:
            self._node, self._tree = self._tree.root, None
        if self._node is not None or self._json_lines:
            self._index_lines()
        return self.lines

    def _index_lines(self) -> None:
        node, self._node = self._node, None
        if self._json_lines:
            self._json_lines = False
            try:
                node = yaml.compose(self.text, Loader=_CLoader or _Loader)
            except (yaml.YAMLError, RecursionError, _TooDeep):
                node = None
        if node is not None:
            with contextlib.suppress(RecursionError, _TooDeep):
                _walk(node, (), self.lines, set(), 0)
        self.lines.setdefault((), 1)

    def line_of(self, key_path: Path_ | list[str | int]) -> int:
        """Line of the deepest known prefix of `key_path` (1 when nothing is known)."""
        if self._line_tree is not None:
            return _tree_line(self._line_tree, key_path)
        if self._tree is not None:
            return self._tree.line_of(key_path)
        if self._node is not None or self._json_lines:
            self._index_lines()
        parts = tuple(key_path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get((), 1)


def _tree_line(tree: Any, key_path: Path_ | list[str | int]) -> int:
    """`line_of` over a line tree: a leaf's line, or `[line, {str(key or index): subtree}]`."""
    for part in key_path:
        sub = tree[1].get(str(part)) if isinstance(tree, list) else None
        if sub is None:
            break
        tree = sub
    return int(tree[0] if isinstance(tree, list) else tree)


def read_text(
    source: Source, path: str, *, limit: int = MAX_FILE_BYTES
) -> tuple[str | None, list[Finding]]:
    """Read a file as UTF-8 text, or say why not (missing, too big, binary, not UTF-8)."""
    try:
        size = source.size(path)
        if size is None:
            escapes = getattr(
                source, "escapes", None
            )  # WorkTree: a symlink out of the repo is not "missing"
            if escapes is not None and escapes(path):
                raise PathEscape(f"{path!r} is a symlink that leads outside the repository")
            return None, [
                error(
                    "missing-file",
                    path,
                    0,
                    f"{path} does not exist",
                    "create it or fix the reference",
                )
            ]
        if size > limit:
            return None, [
                error(
                    "file-too-large",
                    path,
                    0,
                    f"{path} is {size / 1e6:.1f} MB; agentci reads files up to {limit / 1e6:.0f} MB",
                    "split the file or keep large data out of agent configuration",
                )
            ]
        raw = source.read_bytes(path)
    except PathEscape as exc:
        return None, [
            error(
                "path-escape", path, 0, str(exc), "keep every referenced file inside the repository"
            )
        ]
    except OSError as exc:
        return None, [
            error("unreadable-file", path, 0, f"cannot read {path}: {exc.strerror or exc}")
        ]
    if b"\x00" in raw[:8192]:
        return None, [
            error(
                "binary-file",
                path,
                0,
                f"{path} is binary, not text",
                "commit a UTF-8 text file here",
            )
        ]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [
            error(
                "encoding",
                path,
                line,
                f"{path} is not valid UTF-8 (byte {exc.start})",
                "re-save the file as UTF-8",
            )
        ]


def load_document(source: Source, path: str) -> Document:
    text, problems = read_text(source, path)
    doc = Document(path, text or "", findings=problems)
    if text is not None:
        _parse(doc)
    return doc


def parse_text(path: str, text: str) -> Document:
    doc = Document(path, text)
    _parse(doc)
    return doc


#: Texts at least this long are parsed once per content and kept in agentci's cache
#: (`agentci.parse_cache`): PyYAML builds ~1 MB/s with line numbers, a cached lookup ~1 ms.
PARSE_CACHE_MIN_CHARS = 64_000


def _parse(doc: Document) -> None:
    big = len(doc.text) >= PARSE_CACHE_MIN_CHARS
    if big:
        from agentci import parse_cache

        if parse_cache.load(doc, MAX_DEPTH):
            return
    if doc.path.endswith(".json"):
        _parse_json(doc)
    else:
        _parse_yaml(doc)
    if big:
        parse_cache.save(doc, MAX_DEPTH)


def _parse_json(doc: Document) -> None:
    try:
        doc.data = json.loads(doc.text)
    except json.JSONDecodeError as exc:
        doc.findings.append(
            error(
                "json-syntax",
                doc.path,
                exc.lineno,
                f"invalid JSON: {exc.msg}",
                "fix the JSON syntax",
                exc.colno,
            )
        )
        return
    except RecursionError:
        doc.findings.append(
            error("too-deep", doc.path, 1, f"nesting deeper than {MAX_DEPTH} levels")
        )
        return
    if (
        doc.data is None
    ):  # `null`: nothing there, like an empty file (the schema says what is missing)
        doc.data = {}
    # JSON is (nearly) YAML: it is composed as YAML to learn line numbers, when first asked.
    doc._json_lines = True
    if _depth(doc.data) > MAX_DEPTH:
        doc.findings.append(
            error("too-deep", doc.path, 1, f"nesting deeper than {MAX_DEPTH} levels")
        )
        doc.data = None


def _new_loader(text: str, doc: Document) -> Any:
    # libyaml composes ~10x faster than pure Python and caps nesting at 1000 levels itself;
    # _Loader (pure Python, depth-limited) is the fallback when PyYAML was built without it.
    loader = _FastLoader(text) if _FastLoader is not None else _Loader(text)
    loader.doc = doc
    return loader


def _nesting_bound(text: str) -> int:
    """An upper bound on a YAML text's nesting depth, from indentation and brackets.

    Cheap, and enough to skip walking the data of nearly every real file."""
    indent = max((len(line) - len(line.lstrip(" -")) for line in text.splitlines()), default=0)
    return indent + text.count("[") + text.count("{") + 1


def _parse_yaml(doc: Document) -> None:
    try:
        loader = _new_loader(doc.text, doc)
        try:
            node = loader.get_single_node()
            if node is None:
                doc.data = {}
                doc.lines = {(): 1}
                return
            doc.data = _construct(doc, loader, node)
            if doc.data is _REFUSED:
                doc.data = None
                return
            if doc.data is None:  # `~` or `null`: nothing there, like an empty file
                doc.data = {}
            if "*" in doc.text or doc.findings:  # aliases, repeated keys: index them all
                doc._node = node
            else:
                doc._tree = yaml_tree.NodeLines(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else 0
        problem = exc.problem or exc.context or "syntax error"
        if "maximum nesting depth" in problem:
            doc.findings.append(
                error(
                    "too-deep",
                    doc.path,
                    line,
                    f"nesting deeper than {MAX_DEPTH} levels",
                    "flatten the structure",
                )
            )
            return
        lines = doc.text.splitlines()
        at = lines[line - 1] if 0 < line <= len(lines) else ""
        # libyaml does not name the tab it stumbled on; the line it points at does.
        hint = _yaml_hint("tab" if "\t" in at[: max(col, 1)] or at.startswith("\t") else problem)
        doc.findings.append(
            error("yaml-syntax", doc.path, line, f"invalid YAML: {problem}", hint, col)
        )
    except _TooDeep:
        doc.findings.append(
            error(
                "too-deep",
                doc.path,
                1,
                f"nesting deeper than {MAX_DEPTH} levels",
                "flatten the structure",
            )
        )
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        doc.findings.append(
            error("yaml-syntax", doc.path, 1, f"invalid YAML: {type(exc).__name__}: {exc}")
        )


def _construct(doc: Document, loader: Any, node: yaml.Node) -> Any:
    """The document's data: built in one pass when it is a plain tree (nearly every file),
    else by PyYAML's constructor once the shape checks pass; `_REFUSED`, with a finding,
    when they do not."""
    if "*" not in doc.text:  # no aliases: a tree
        with contextlib.suppress(yaml_tree.NotPlain, yaml.YAMLError, ValueError):
            return yaml_tree.build(loader, node, MAX_DEPTH)
    # Only aliases (`*name`) can make a document recursive or explode. Depth needs a walk
    # only when the text could be that deep at all.
    shape = None
    if "*" in doc.text:
        shape = yaml_tree.shape_problem(node, MAX_DEPTH, MAX_EXPANDED_NODES)
    elif _nesting_bound(doc.text) > MAX_DEPTH:
        shape = yaml_tree.depth_problem(node, MAX_DEPTH)
    if shape:
        rule, line, message, hint = shape
        doc.findings.append(error(rule, doc.path, line, message, hint))
        return _REFUSED
    return loader.construct_document(node)


def _yaml_hint(problem: str) -> str:
    if "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "quote the value if it contains ': '"
    if "could not find expected ':'" in problem or "expected <block end>" in problem:
        return "check indentation and unclosed quotes or brackets above this line"
    return "fix the YAML syntax at this position"


_CLoader = getattr(yaml, "CSafeLoader", None)
#: `_construct`'s "refused" (None is a document's data: `~`).
_REFUSED: Any = object()


class _DuplicateKeys:
    """Constructor mixin: warn on a key that appears twice in one mapping (PyYAML keeps the last)."""

    doc: Document | None = None

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode) and self.doc is not None:
            keys: set[str] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = str(key_node.value)
                if key in keys and key != "<<":
                    self.doc.findings.append(
                        warning(
                            "duplicate-key",
                            self.doc.path,
                            key_node.start_mark.line + 1,
                            f"key {key!r} appears twice; the last one wins",
                            "remove one of them",
                        )
                    )
                keys.add(key)
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class _Loader(_DuplicateKeys, yaml.SafeLoader):
    """SafeLoader with a compose depth limit (PyYAML recurses per level)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep()
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooDeep(Exception):
    pass


_FastLoader: Any = (
    type("_FastLoader", (_DuplicateKeys, yaml_tree.QuickResolve, _CLoader), {})
    if _CLoader is not None
    else None
)


#: Nodes a document may expand to once aliases are followed; real configs stay far below.
MAX_EXPANDED_NODES = 100_000


def _walk(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], seen: set[int], depth: int
) -> None:
    """Record the line of every key path."""
    lines.setdefault(path, node.start_mark.line + 1)
    if depth > MAX_DEPTH:
        raise _TooDeep()
    if id(node) in seen:  # aliases: visit each node once (no billion laughs)
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            sub = (*path, key)
            lines[sub] = key_node.start_mark.line + 1
            _walk(value_node, sub, lines, seen, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, seen, depth + 1)


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def load_jsonl(source: Source, path: str) -> Document:
    """A JSONL eval set: one case per line; data becomes {"cases": [...]}."""
    text, problems = read_text(source, path)
    doc = Document(path, text or "", findings=problems)
    if text is None:
        return doc
    cases: list[Any] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nesting too deep"
            doc.findings.append(
                error(
                    "json-syntax",
                    path,
                    n,
                    f"invalid JSON on this line: {msg}",
                    "one JSON object per line",
                )
            )
            continue
        doc.lines[("cases", len(cases))] = n
        cases.append(case)
    doc.lines[()] = 1
    doc.lines[("cases",)] = 1
    doc.data = {"cases": cases}
    return doc
