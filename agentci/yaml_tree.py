"""From a composed YAML node tree to plain data, and the checks that come before it.

`build` is the common case done in one pass: a document without aliases whose mappings
have plain string keys, each once. It makes the same objects as PyYAML's SafeConstructor
(scalars go through PyYAML's own constructor functions) and checks the nesting depth on
the way, where the general route walks the tree for depth and then lets the constructor
walk it again, with a generator per collection. On a 2,000-case eval set (300 kB) that
is ~15 ms instead of ~50 ms. Anything else (a merge key `<<`, a non-string or repeated
key, an explicit tag such as `!!set`, a deep or aliased tree) is `NotPlain` and takes
the general route, which owns every message. tests/test_yaml_tree.py holds `build` to
PyYAML's own loader.
"""

from __future__ import annotations

from typing import Any

import yaml

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: Scalar tags whose SafeConstructor function returns a value (no generator, no state).
_SCALARS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "binary", "timestamp")
)


Problem = tuple[str, int, str, str]
"""(rule, line, message, hint) of a document that is refused."""


class QuickResolve:
    """Resolver mixin for a SafeLoader: the same tags as `yaml.resolver.Resolver.resolve`,
    from one table lookup per scalar. libyaml calls `resolve` from C for every node (28,000
    calls on a 2,000-case set); PyYAML's version, with its no-op path-resolver hooks, costs
    a quarter of the compose. A loader given path resolvers (SafeLoader has none) gets
    PyYAML's own."""

    yaml_implicit_resolvers: dict[Any, list[tuple[str, Any]]]
    yaml_path_resolvers: dict[Any, Any]
    _by_first: dict[str | None, tuple[tuple[str, Any], ...]]
    _wildcard: tuple[tuple[str, Any], ...]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        wildcard = cls.yaml_implicit_resolvers.get(None, [])
        cls._by_first = {
            first: (*rules, *wildcard) for first, rules in cls.yaml_implicit_resolvers.items()
        }
        cls._wildcard = tuple(wildcard)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)  # type: ignore[misc]
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self._by_first.get(value[:1], self._wildcard):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        if self.yaml_path_resolvers:
            super().descend_resolver(current_node, current_index)  # type: ignore[misc]

    def ascend_resolver(self) -> None:
        if self.yaml_path_resolvers:
            super().ascend_resolver()  # type: ignore[misc]


class NotPlain(Exception):
    """The tree needs PyYAML's general constructor (or is too deep): take the long route."""


def build(loader: Any, root: yaml.Node, max_depth: int) -> Any:
    """The data of an alias-free tree, or NotPlain. `loader`: the SafeConstructor whose
    scalar functions to use; `max_depth`: deeper trees are NotPlain (the caller reports)."""
    constructors = loader.yaml_constructors
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode

    def value(node: yaml.Node, depth: int) -> Any:
        kind, tag = type(node), node.tag
        if kind is scalar_node:
            if tag == _STR:
                return node.value
            if tag in _SCALARS:
                return constructors[tag](loader, node)
            raise NotPlain
        if depth >= max_depth and node.value:  # its children would sit past the limit
            raise NotPlain
        if kind is mapping_node and tag == _MAP:
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not scalar_node or key_node.tag != _STR:
                    raise NotPlain
                key = key_node.value
                if key in out:
                    raise NotPlain  # the general route warns about it
                out[key] = value(value_node, depth + 1)
            return out
        if kind is sequence_node and tag == _SEQ:
            return [value(item, depth + 1) for item in node.value]
        raise NotPlain

    return value(root, 0)


class NodeLines:
    """Line numbers of key paths in an alias-free tree, found by following each asked path
    down from the root: a document asked for a line per case (an eval set) pays per
    question instead of indexing all of its paths. The answers are those of indexing every
    path (`documents._walk`): a mapping entry's line is its key's, a list item's its own,
    the deepest known prefix's for a path that leaves the tree. Each mapping's keys are
    indexed on its first visit (a wide mapping asked many times stays linear)."""

    def __init__(self, root: yaml.Node) -> None:
        self.root = root
        self._keys: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}

    def line_of(self, key_path: Any) -> int:
        node = self.root
        line: int = node.start_mark.line + 1
        for part in key_path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                keys = self._keys.get(id(node))
                if keys is None:
                    keys = self._keys[id(node)] = {
                        (str(k.value) if isinstance(k, yaml.ScalarNode) else "?"): (k, v)
                        for k, v in node.value  # a repeated key: the last one, as in the walk
                    }
                pair = keys.get(part)
                if pair is None:
                    break
                line, node = pair[0].start_mark.line + 1, pair[1]
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


def shape_problem(root: yaml.Node, max_depth: int, max_nodes: int) -> Problem | None:
    """Why the composed document is refused, if it is: too deep, recursive, or expanding
    past `max_nodes` once aliases are followed.

    PyYAML shares aliased objects, so a "billion laughs" file loads cheaply, but anything
    that walks the data later (schema checks, JSON dumps, rendering) would expand it.
    """
    bomb_hint = "write the values out instead of nesting aliases"
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool, int]] = [(root, False, 0)]
    while stack:
        node, done, depth = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > max_nodes:
                return (
                    "yaml-alias-bomb",
                    node.start_mark.line + 1,
                    f"aliases expand this document past {max_nodes:,} nodes (a YAML bomb?)",
                    bomb_hint,
                )
            continue
        if key in sizes:
            continue
        if depth > max_depth:
            return _too_deep(node, max_depth)
        active.add(key)
        stack.append((node, True, depth))
        for child in children:
            if id(child) in active:
                return (
                    "yaml-alias-bomb",
                    child.start_mark.line + 1,
                    "an alias refers to a node that contains it (recursive YAML)",
                    bomb_hint,
                )
            if id(child) not in sizes:
                stack.append((child, False, depth + 1))
    return None


def depth_problem(root: yaml.Node, max_depth: int) -> Problem | None:
    """`shape_problem` for a document without aliases (a tree): depth only, ~4x cheaper."""
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return _too_deep(node, max_depth)
        if isinstance(node, yaml.MappingNode):
            stack.extend((n, depth + 1) for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((n, depth + 1) for n in node.value)
    return None


def _too_deep(node: yaml.Node, max_depth: int) -> Problem:
    return (
        "too-deep",
        node.start_mark.line + 1,
        f"nesting deeper than {max_depth} levels",
        "flatten the structure",
    )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
