"""agentci.yaml_tree: the one-pass build and the quick resolver give what PyYAML's own
safe loader gives (the oracle here is `yaml.CSafeLoader`, not agentci code)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agentci import documents, yaml_tree
from agentci.documents import MAX_DEPTH, parse_text

#: characters that make plain scalars resolve to every implicit tag (int, float, bool,
#: null, timestamp, merge, value) or just miss one
TOKEN = st.text(
    alphabet=st.sampled_from(list("0123456789.-+:_eExXoObB~nNyYtTfF =<aZ")), max_size=12
)
SCALAR = st.one_of(TOKEN, st.integers(), st.floats(), st.booleans(), st.none(), st.text(max_size=8))
DATA = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=25,
)


def oracle(text: str) -> Any:
    data = yaml.load(text, Loader=yaml.CSafeLoader)
    return {} if data is None else data


def tags(node: yaml.Node) -> list[str]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n.tag)
        if isinstance(n, yaml.MappingNode):
            stack.extend(x for pair in n.value for x in pair)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return out


@settings(max_examples=300, deadline=None)
@given(DATA, st.sampled_from([None, True, False]), st.sampled_from([None, '"', "'", "|"]))
def test_dumped_data_loads_as_pyyaml_loads_it(data: Any, flow: Any, style: Any) -> None:
    text = yaml.safe_dump({"root": data}, default_flow_style=flow, default_style=style)
    doc = parse_text("d.yaml", text)
    assert not doc.findings
    assert repr(doc.data) == repr(oracle(text))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "<<", "1", "c"]), TOKEN), max_size=6))
def test_plain_scalars_resolve_as_pyyaml_resolves_them(pairs: list[tuple[str, str]]) -> None:
    """Raw plain scalars: ints with `_` and `0x`, sexagesimals, `.inf`, `~`, dates, `<<`,
    repeated keys (these take the general route, with its warning)."""
    text = (
        "".join(f"{k}: {v}\n" for k, v in pairs) + "l: [" + ", ".join(v for _, v in pairs) + "]\n"
    )
    try:
        expected = oracle(text)
        pyyaml_tags = tags(yaml.compose(text, Loader=yaml.CSafeLoader))
    except (yaml.YAMLError, ValueError, TypeError):
        assume(False)
        return
    assert tags(yaml.compose(text, Loader=documents._FastLoader)) == pyyaml_tags
    doc = parse_text("d.yaml", text)
    assert repr(doc.data) == repr(expected)
    keys = [k for k, _ in pairs]
    repeated = {k for k in keys if keys.count(k) > 1 and k != "<<"}
    assert len([f for f in doc.findings if f.rule == "duplicate-key"]) == sum(
        keys.count(k) - 1 for k in repeated
    )


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n",  # aliases and a merge
        "m:\n  <<: {x: 1}\n  y: 2\n",  # a merge without an alias
        "s: !!set {a: null}\n",
        "o: !!omap [a: 1, b: 2]\n",
        "1: int key\ntrue: bool key\n~: null key\n",
        "b: !!binary aGVsbG8=\n",
        "t: 2001-12-14t21:59:43.10-05:00\nd: 2002-12-14\n",
        "q: !!str 12\nf: !!float 1\n",
        "&anchor a: 1\nb: &x [1, 2]\n",
        "[1, [2, [3]]]\n",
        "~\n",
        "plain\n",
        "a: 1\na: 2\n",
    ],
)
def test_the_general_route_cases_match_pyyaml(text: str) -> None:
    assert repr(parse_text("d.yaml", text).data) == repr(oracle(text))


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
@pytest.mark.parametrize("shape", ["map", "list", "flow"])
def test_depth_is_checked_at_the_same_level_as_the_walk(depth: int, shape: str) -> None:
    """`depth` nested collections around one scalar: the scalar sits at `depth`, and more
    than MAX_DEPTH levels is refused, on the fast route as on the general one."""
    if shape == "map":
        text = "".join("  " * i + "k:\n" for i in range(depth - 1)) + "  " * (depth - 1) + "k: v\n"
    elif shape == "list":
        text = "".join("  " * i + "-\n" for i in range(depth - 1)) + "  " * (depth - 1) + "- v\n"
    else:
        text = "[" * depth + "v" + "]" * depth + "\n"
    doc = parse_text("d.yaml", text)
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    walk = yaml_tree.depth_problem(node, MAX_DEPTH)
    assert [f.rule for f in doc.findings] == (["too-deep"] if walk else [])
    assert (walk is not None) == (depth > MAX_DEPTH)
    if walk:
        assert doc.findings[0].line == walk[1]
    else:
        assert repr(doc.data) == repr(oracle(text))


def test_build_refuses_what_it_does_not_make() -> None:
    loader = documents._new_loader("", documents.Document("d.yaml"))
    for text in ("a: !!set {x: null}\n", "<<: {x: 1}\n", "1: a\n", "a: 1\na: 2\n"):
        with pytest.raises(yaml_tree.NotPlain):
            yaml_tree.build(loader, yaml.compose(text, Loader=yaml.CSafeLoader), MAX_DEPTH)
    loader.dispose()


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=200, deadline=None)
@given(DATA, st.sampled_from([None, True, False]), st.lists(st.text(max_size=3), max_size=3))
def test_following_a_path_finds_the_line_indexing_finds(
    data: Any, flow: Any, extra: list[str]
) -> None:
    """Every path of the document, and paths that leave it (a missing key, an index past
    the end, a key into a list), get the line the full index gives."""
    text = yaml.safe_dump({"root": data, "tail": [1, {"x": 2}]}, default_flow_style=flow)
    assume("*" not in text)  # an alias-like star: the document is indexed whole instead
    followed, indexed = parse_text("d.yaml", text), parse_text("d.yaml", text)
    assert followed._tree is not None
    indexed.all_lines()
    assert indexed._tree is None and indexed.lines
    for path in _paths(followed.data):
        for probe in (path, (*path, *extra), (*path, 0), (*path, 99), (*path, "nope")):
            assert followed.line_of(probe) == indexed.line_of(probe), probe


def test_a_wide_mapping_is_indexed_once() -> None:
    text = "".join(f"k{i}: [a, b]\n" for i in range(5000))
    doc = parse_text("wide.yaml", text)
    assert [doc.line_of([f"k{i}", 1]) for i in range(0, 5000, 1000)] == [1, 1001, 2001, 3001, 4001]
    assert doc._tree is not None and len(doc._tree._keys) == 1
