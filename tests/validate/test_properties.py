"""Property tests over the loaders: whatever text or structure comes in, they never raise and
always return data or findings."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentci.documents import load_document, load_jsonl, parse_text
from agentci.findings import Finding
from agentci.repo import load_repo
from agentci.source import WorkTree
from agentci.validate import validate

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda c: st.one_of(
        st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)
    ),
    max_leaves=20,
)
yamlish = st.text(
    alphabet=st.sampled_from([*"ab: -[]{}&*!|>'\"#\n\t\\%@`,?0.", "\x00", "é", "\ufeff"]),
    max_size=200,
)


def _well_formed(doc: Any) -> None:
    assert doc.data is not None or doc.findings
    for f in doc.findings:
        assert isinstance(f, Finding) and f.line >= 0 and f.message
    doc.line_of(["agent", "name"])  # the lazy line index never raises either


@SETTINGS
@given(text=st.one_of(yamlish, st.text(max_size=200)))
def test_parse_text_never_raises(text: str) -> None:
    for name in ("x.yaml", "x.json"):
        _well_formed(parse_text(name, text))


@SETTINGS
@given(value=json_values)
def test_structures_round_trip_with_line_numbers(value: Any) -> None:
    for name, text in (("x.json", json.dumps(value)), ("x.yaml", yaml.safe_dump(value))):
        doc = parse_text(name, text)
        _well_formed(doc)
        assert doc.data == ({} if value is None else value) or doc.findings  # null reads as empty


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_load_document_on_any_bytes(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("a.yaml", "a.json", "a.jsonl"):
            (root / name).write_bytes(raw)
        src = WorkTree(root)
        for name in ("a.yaml", "a.json"):
            _well_formed(load_document(src, name))
        _well_formed(load_jsonl(src, "a.jsonl"))


paths = st.one_of(
    st.sampled_from(
        [
            "system_prompt.md",
            "../x",
            "/etc/passwd",
            "tools.json",
            "",
            ".",
            "a\\b",
            "evals/*.yaml",
            "../../knowledge",
            "C:\\x",
            "//",
            "x\x00y",
        ]
    ),
    st.text(max_size=12),
)
workspace_paths = st.one_of(
    st.sampled_from(["/", "/knowledge", "/memory", "/a/../..", "/drafts", "*", "/x/*"]),
    st.text(max_size=10),
)
manifest = st.fixed_dictionaries(
    {
        "agent": st.fixed_dictionaries(
            {
                "name": st.one_of(st.sampled_from(["a", "b", "bot"]), scalars),
            },
            optional={
                "prompt": paths,
                "tools": paths,
                "knowledge": st.one_of(st.lists(paths, max_size=3), scalars),
                "evals": st.one_of(st.lists(paths, max_size=3), scalars),
                "capabilities": st.one_of(st.lists(scalars, max_size=3), scalars),
                "variables": st.one_of(
                    st.dictionaries(st.text(max_size=5), scalars, max_size=3), scalars
                ),
                "model": st.one_of(
                    st.text(max_size=10),
                    json_values,
                    st.fixed_dictionaries(
                        {"name": st.text(max_size=10)},
                        optional={
                            "context_window": st.integers(),
                            "max_tokens": st.one_of(st.integers(), scalars),
                        },
                    ),
                ),
                "memory_path": workspace_paths,
                "permissions": st.one_of(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "read": st.lists(workspace_paths, max_size=3),
                            "write": st.lists(workspace_paths, max_size=3),
                        },
                    ),
                    scalars,
                ),
                "lock": st.one_of(json_values, st.fixed_dictionaries({"path": workspace_paths})),
            },
        )
    }
)
tools = st.one_of(
    json_values,
    st.lists(
        st.fixed_dictionaries(
            {"name": st.text(max_size=6)},
            optional={"description": st.text(max_size=6), "inputSchema": json_values},
        ),
        max_size=3,
    ),
)
eval_set = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "cases": st.lists(
                st.fixed_dictionaries(
                    {"input": scalars},
                    optional={
                        "vars": json_values,
                        "assert": st.lists(
                            st.fixed_dictionaries(
                                {
                                    "type": st.sampled_from(
                                        ["regex", "json-schema", "icontains", "nope"]
                                    )
                                },
                                optional={"value": json_values},
                            ),
                            max_size=3,
                        ),
                    },
                ),
                max_size=3,
            )
        },
        optional={"defaults": json_values},
    ),
)
config = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "agents": st.lists(paths, max_size=3),
            "swarm": paths,
            "ignore": st.lists(st.text(max_size=8), max_size=2),
            "eval": json_values,
            "workspace": json_values,
        },
    ),
)
swarm = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "roles": st.lists(
                st.fixed_dictionaries(
                    {"name": scalars, "agent": st.sampled_from(["a", "b", "ghost"])},
                    optional={
                        "input_dir": workspace_paths,
                        "output_dir": workspace_paths,
                        "next": json_values,
                    },
                ),
                max_size=3,
            )
        }
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    agents=st.lists(manifest, min_size=1, max_size=3),
    tools=tools,
    evals=eval_set,
    config=config,
    swarm=swarm,
    prompt=st.text(max_size=60),
    dump=st.sampled_from(["yaml", "json"]),
)
def test_load_repo_and_validate_never_raise(
    agents: list[Any], tools: Any, evals: Any, config: Any, swarm: Any, prompt: str, dump: str
) -> None:
    def text(value: Any) -> str:
        return json.dumps(value) if dump == "json" else yaml.safe_dump(value)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i, m in enumerate(agents):
            d = root / "agents" / f"a{i}"
            (d / "evals").mkdir(parents=True)
            (d / "agent.yaml").write_text(text(m))
            (d / "system_prompt.md").write_text(prompt)
            (d / "tools.json").write_text(json.dumps(tools))
            (d / "evals" / "golden.yaml").write_text(text(evals))
        (root / "agentci.yaml").write_text(text(config))
        (root / "swarm.yaml").write_text(text(swarm))
        repo = load_repo(WorkTree(root))
        findings = validate(repo)
        for f in findings:
            assert isinstance(f, Finding) and f.path and f.line >= 0
