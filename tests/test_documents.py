"""agentci.documents: YAML/JSON parsing with line numbers that never raises on bad input."""

from __future__ import annotations

from pathlib import Path

from agentci.documents import MAX_DEPTH, load_document, load_jsonl, parse_text, read_text
from agentci.source import WorkTree


def rules(doc) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.rule for f in doc.findings]


def test_yaml_line_numbers_for_key_paths() -> None:
    doc = parse_text(
        "a.yaml", "agent:\n  name: bot\n  tools:\n    - one\n    - two\n  model: {name: x}\n"
    )
    assert doc.data["agent"]["tools"] == ["one", "two"]
    assert doc.line_of(["agent", "name"]) == 2
    assert doc.line_of(["agent", "tools", 1]) == 5
    assert doc.line_of(["agent", "model", "name"]) == 6
    assert doc.line_of(["agent", "missing", "deeper"]) == 1  # deepest known prefix: agent
    assert doc.line_of([]) == 1


def test_json_line_numbers() -> None:
    doc = parse_text("t.json", '[\n  {"name": "a"},\n  {\n    "name": "b"\n  }\n]\n')
    assert doc.line_of([1, "name"]) == 4 and doc.line_of([0]) == 2


def test_syntax_errors_carry_line_and_column() -> None:
    doc = parse_text("a.yaml", "a: 1\nb: [1, 2\nc: 3\n")
    [f] = doc.findings
    assert f.rule == "yaml-syntax" and f.line == 3 and f.column >= 1 and doc.data is None
    doc = parse_text("a.json", '{\n  "a": 1,\n}\n')
    [f] = doc.findings
    # the trailing comma (line 2: Python 3.13's json) or the brace after it (line 3: earlier)
    assert f.rule == "json-syntax" and f.line in (2, 3)


def test_tabs_hint() -> None:
    [f] = parse_text("a.yaml", "a:\n\tb: 1\n").findings
    assert "tabs" in f.hint


def test_duplicate_keys_warn_but_merge_keys_do_not() -> None:
    doc = parse_text("a.yaml", "a: 1\na: 2\nbase: &b {k: 1}\nother:\n  <<: *b\n  k: 2\n")
    assert [(f.rule, f.line) for f in doc.findings] == [("duplicate-key", 2)]
    assert doc.data["a"] == 2 and doc.data["other"] == {"k": 2}


def test_depth_limits() -> None:
    ok = parse_text("a.yaml", "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert ok.findings == [] and ok.data is not None
    assert rules(parse_text("a.yaml", "a: " + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2))) == [
        "too-deep"
    ]
    for depth in (MAX_DEPTH + 2, 10_000):
        text = "[" * depth + "]" * depth
        assert rules(parse_text("a.yaml", text)) == ["too-deep"]
        assert rules(parse_text("a.json", text)) == ["too-deep"]


def test_alias_bombs_and_recursion() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6)
    )
    assert rules(parse_text("a.yaml", text)) == ["yaml-alias-bomb"]
    assert rules(parse_text("a.yaml", "a: &a [*a]\n")) == ["yaml-alias-bomb"]
    shared = parse_text("a.yaml", "d: &d {x: 1}\ne: [*d, *d, *d]\n")
    assert shared.findings == [] and shared.data["e"][2] == {"x": 1}


def test_empty_and_null_documents_are_empty_mappings() -> None:
    for name, text in (
        ("a.yaml", ""),
        ("a.yaml", "~\n"),
        ("a.yaml", "# only a comment\n"),
        ("a.json", "null"),
    ):
        doc = parse_text(name, text)
        assert doc.data == {} and doc.findings == [], (name, text)
    assert rules(parse_text("a.json", "")) == ["json-syntax"]


def test_read_text_refuses_binary_huge_and_non_utf8(tmp_path: Path) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"a: 1\x00\x01")
    (tmp_path / "latin.yaml").write_bytes("a: caf\u00e9\nb: 1\n".encode("latin-1"))
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbfa: 1\n")
    with (tmp_path / "big.yaml").open("wb") as fh:
        fh.truncate(6 * 1024 * 1024)
    src = WorkTree(tmp_path)
    assert rules(load_document(src, "bin.yaml")) == ["binary-file"]
    [enc] = load_document(src, "latin.yaml").findings
    assert (enc.rule, enc.line) == ("encoding", 1)
    assert load_document(src, "bom.yaml").data == {"a": 1}
    assert rules(load_document(src, "big.yaml")) == ["file-too-large"]
    assert rules(load_document(src, "absent.yaml")) == ["missing-file"]
    assert read_text(src, "bom.yaml") == ("a: 1\n", [])


def test_jsonl_lines(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text('{"input": "a"}\n\nnot json\n{"input": "b"}\n')
    doc = load_jsonl(WorkTree(tmp_path), "s.jsonl")
    assert [c["input"] for c in doc.data["cases"]] == ["a", "b"]
    assert [(f.rule, f.line) for f in doc.findings] == [("json-syntax", 3)]
    assert doc.line_of(["cases", 1]) == 4
