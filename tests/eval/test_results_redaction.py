"""results.redacted_text: the walk over a run is skipped only when its document holds no
trace of a credential, so a credential planted in any string of a run is still replaced."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agentci import redact
from agentci.eval import results
from agentci.eval.records import RunResults
from tests.report.conftest import load

SECRET = "sk-planted-Qm9vYmFyYmF6cXV4MTIz"


@pytest.fixture(autouse=True)
def learned() -> None:
    redact.learn_env(["PLANTED_API_KEY"], env={"PLANTED_API_KEY": SECRET})


def _places(obj: Any, path: str = "") -> Iterator[tuple[str, Callable[[Any], None], Any]]:
    """(path, setter, value) for every string held anywhere in `obj` (dict keys included)."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, str):
                yield f"{path}.{f.name}", (lambda v, o=obj, n=f.name: setattr(o, n, v)), value
            else:
                yield from _places(value, f"{path}.{f.name}")
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            if isinstance(item, str):
                yield f"{path}[{i}]", (lambda v, o=obj, i=i: o.__setitem__(i, v)), item
            else:
                yield from _places(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for key in list(obj):
            item = obj[key]
            if isinstance(key, str):

                def rekey(v: Any, o: dict[str, Any] = obj, k: str = key) -> None:
                    o[v] = o.pop(k)

                yield f"{path}{{{key}}}", rekey, key
            if isinstance(item, str):
                yield f"{path}[{key!r}]", (lambda v, o=obj, k=key: o.__setitem__(k, v)), item
            else:
                yield from _places(item, f"{path}[{key!r}]")


def _strings(obj: Any) -> list[str]:
    return [value for _, _, value in _places(obj)]


def _run() -> RunResults:
    run = results.from_json(load("two_agents.json"))
    run.notes = ["a note"]
    run.agents[0].cases[0].vars = {"customer": "Ann"}
    return run


def test_every_string_of_a_run_is_redacted_through_the_fast_path() -> None:
    places = [path for path, _, _ in _places(_run())]
    assert len(places) > 40  # the fixture reaches every kind of record
    for i, path in enumerate(places):
        run = _run()
        _, plant, value = list(_places(run))[i]
        plant(f"{value} {SECRET} {value}")
        out, text = results.redacted_text(run)
        assert SECRET not in text, path
        assert not any(SECRET in s for s in _strings(out)), path


def test_a_clean_run_is_not_walked_and_comes_out_equal() -> None:
    run = _run()
    before = results.dumps(run)
    out, text = results.redacted_text(run)
    assert out is run and text == before
