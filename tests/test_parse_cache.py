"""agentci.parse_cache: a big document is parsed once per content; what comes back is the same."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentci import cachedb, redact, schema
from agentci.documents import PARSE_CACHE_MIN_CHARS, parse_text


def big_set(n: int = 700, extra: str = "") -> str:
    lines = ["defaults:", "  threshold: 1.0", "cases:"]
    for i in range(n):
        lines += [
            f'  - id: "case-{i}"',
            f'    input: "[case-{i}] What is {i} plus 1?"',
            "    assert:",
            f'      - {{type: contains, value: "{i + 1}"}}',
            "      - type: icontains",
            f"        value: x{i}",
        ]
    text = "\n".join(lines) + "\n" + extra
    assert len(text) >= PARSE_CACHE_MIN_CHARS
    return text


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(cachedb.ENV, str(tmp_path / "cache"))
    cachedb.set_enabled(True)  # as `agentci eval` does
    yield tmp_path / "cache"
    cachedb.set_enabled(False)


def test_off_unless_an_eval_turns_it_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """validate and deploy write nothing outside the repository."""
    monkeypatch.setenv(cachedb.ENV, str(tmp_path / "cache"))
    assert parse_text("golden.yaml", big_set()).data
    assert not (tmp_path / "cache").exists()


def rows(cache_dir: Path, kind: str) -> list[tuple[str, bytes]]:
    if not (cache_dir / cachedb.FILE).exists():
        return []
    with contextlib.closing(sqlite3.connect(cache_dir / cachedb.FILE)) as db:
        return db.execute("SELECT key, value FROM entries WHERE kind = ?", (kind,)).fetchall()


def all_paths(data: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            out += all_paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += all_paths(v, (*path, i))
    return out


@pytest.mark.parametrize("name", ["golden.yaml", "golden.json"])
def test_a_cached_parse_gives_the_same_data_and_lines(cache_dir: Path, name: str) -> None:
    text = big_set()
    if name.endswith(".json"):
        text = json.dumps(parse_text("x.yaml", text).data, indent=2)
    before = len(rows(cache_dir, "parsed"))
    first = parse_text(name, text)
    assert len(rows(cache_dir, "parsed")) == before + 1
    second = parse_text(name, text)
    assert second.data == first.data and not second.findings
    probes = [
        *all_paths(first.data),
        ("cases", 3, "assert", 1, "nope"),
        ("nope",),
        ("cases", 10**6),
    ]
    assert [second.line_of(p) for p in probes] == [first.line_of(p) for p in probes]
    if name.endswith(".yaml"):
        assert second.line_of(["cases", 2, "assert", 1, "value"]) == 21
        assert second.line_of(["cases", 2, "assert", 1, "nope"]) == 20  # deepest known prefix


def test_the_cached_entry_is_what_is_used(cache_dir: Path) -> None:
    """Observed from outside: rewrite the stored entry, and the next parse returns it."""
    text = big_set()
    parse_text("golden.yaml", text)
    [(key, value)] = rows(cache_dir, "parsed")
    entry = json.loads(value)
    entry["data"]["cases"][0]["id"] = "from-the-cache"
    with contextlib.closing(sqlite3.connect(cache_dir / cachedb.FILE)) as db, db:
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (json.dumps(entry).encode(), key))
    assert parse_text("golden.yaml", text).data["cases"][0]["id"] == "from-the-cache"
    # Another text (one byte more) is another key: never served the entry above.
    assert parse_text("golden.yaml", text + "\n").data["cases"][0]["id"] == "case-0"


def test_what_is_not_cached(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parse_text("small.yaml", "cases: []\n")  # small: parsing beats a lookup
    dup = parse_text("dup.yaml", big_set(extra="defaults: {}\n"))  # a finding (duplicate key)
    assert [f.rule for f in dup.findings] == ["duplicate-key"]
    dated = parse_text("dated.yaml", big_set(extra="when: 2024-01-01\n"))  # JSON cannot hold a date
    assert str(dated.data["when"]) == "2024-01-01"
    broken = parse_text("broken.yaml", big_set(extra="x: [unclosed\n"))
    assert broken.data is None
    assert rows(cache_dir, "parsed") == []

    monkeypatch.setenv("BENCH_API_KEY", "sk-secret-value-123")
    redact.learn_env(["BENCH_API_KEY"])
    parse_text("secret.yaml", big_set(extra="note: sk-secret-value-123\n"))
    assert rows(cache_dir, "parsed") == []  # a credential never reaches the cache

    cachedb.set_enabled(False)  # --no-cache
    parse_text("golden.yaml", big_set())
    cachedb.set_enabled(True)
    assert rows(cache_dir, "parsed") == []


def test_a_schema_verdict_is_kept_only_for_a_clean_text(cache_dir: Path) -> None:
    good = parse_text("golden.yaml", big_set())
    assert schema.check(good, "eval-set") == []
    assert len(rows(cache_dir, "schema-clean")) == 1
    again = parse_text("golden.yaml", big_set())
    assert schema.check(again, "eval-set") == []

    bad_text = big_set(extra="repeat: lots\n")
    for _ in range(2):
        findings = schema.check(parse_text("bad.yaml", bad_text), "eval-set")
        assert [f.line for f in findings] == [bad_text.count("\n")]
    assert len(rows(cache_dir, "schema-clean")) == 1
