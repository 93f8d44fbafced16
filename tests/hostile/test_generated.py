"""Hypothesis-generated manifests, tool files, eval sets and agentci.yaml through the loaders and validate.

In-process (fast, many examples): `load_repo` + `validate` + every renderer must not
raise, every finding must point inside the repo, and an audit hook records any file
event under the sentinel directory next to the repo (reads included): there must be none.
A smaller number of generated repos also go through the real CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import yaml
from hostile_sandbox import forbid, make_sandbox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentci.repo import load_repo
from agentci.source import WorkTree
from agentci.validate import validate
from agentci.validate.output import render

HOSTILE_PATHS = [
    "../../../outside/secret.txt",
    "{OUT}/secret.txt",
    "{OUT}",
    "/etc/passwd",
    "..",
    ".",
    "",
    "..\\..\\..\\outside\\secret.txt",
    "link.md",
    "linkdir",
    "linkdir/k.md",
    "evals",
    "evals/*.yaml",
    "../**/*.yaml",
    "**",
    "*",
    "~/.ssh/id_rsa",
    "C:\\x",
    "x\x00y",
    "system_prompt.md",
    "tools.json",
    "agents/../../outside/secret.txt",
    "../../../outside/agents/*/agent.yaml",
    "/",
    "//",
    "\\\\server\\share",
]
META = [
    "$(touch pwned)",
    "`id`",
    "<script>x</script>",
    "@everyone",
    "::error::x",
    "\u202e",
    "{{ 7*7 }}",
    "{% for x in range(10**9) %}{% endfor %}",
    "${{ secrets.X }}",
    "]]>",
    "\r\n",
    "a" * 300,
]

path_str = st.sampled_from(HOSTILE_PATHS)
text = st.one_of(st.text(max_size=40), st.sampled_from(META), path_str)
scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), text
)
value = st.recursive(
    scalar,
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(text, c, max_size=4)),
    max_leaves=12,
)
path_or_any = st.one_of(path_str, path_str, value)


def _opt(**kw):  # type: ignore[no-untyped-def]
    return st.fixed_dictionaries({}, optional=kw)


manifest = st.one_of(
    st.fixed_dictionaries(
        {
            "agent": _opt(
                name=st.one_of(st.sampled_from(["a", "b", "a-1"]), text, value),
                description=text,
                model=st.one_of(
                    text,
                    _opt(
                        provider=st.one_of(st.sampled_from(["openai", "anthropic", "local"]), text),
                        name=text,
                        temperature=scalar,
                        max_tokens=scalar,
                        base_url=text,
                        api_key_env=text,
                    ),
                ),
                prompt=path_or_any,
                variables=value,
                tools=path_or_any,
                capabilities=st.lists(text, max_size=3),
                knowledge=st.lists(path_or_any, max_size=3),
                memory_path=path_or_any,
                permissions=_opt(
                    read=st.lists(path_or_any, max_size=2), write=st.lists(path_or_any, max_size=2)
                ),
                secrets=st.lists(text, max_size=3),
                evals=st.one_of(st.lists(path_or_any, max_size=3), value),
                smoke=value,
                lock=_opt(path=path_or_any, on_busy=text, timeout=scalar),
            )
        }
    ),
    value,
)
assertion = st.one_of(
    _opt(
        type=st.one_of(
            st.sampled_from(
                [
                    "contains",
                    "regex",
                    "is-json",
                    "json-schema",
                    "llm-rubric",
                    "tool-call",
                    "latency",
                    "similar",
                ]
            ),
            text,
        ),
        value=value,
        weight=scalar,
        threshold=scalar,
    ),
    value,
)
eval_set = st.one_of(
    _opt(
        defaults=_opt(threshold=scalar, assert_=st.lists(assertion, max_size=2)),
        repeat=scalar,
        cases=st.lists(
            st.one_of(
                _opt(
                    id=text,
                    input=st.one_of(text, value),
                    expected=text,
                    vars=value,
                    assert_=st.lists(assertion, max_size=3),
                ),
                value,
            ),
            max_size=4,
        ),
    ),
    value,
)
tools = st.one_of(
    _opt(
        tools=st.lists(
            st.one_of(_opt(name=text, description=text, inputSchema=value), value), max_size=3
        )
    ),
    st.lists(value, max_size=3),
    value,
)
config = st.one_of(
    _opt(
        agents=st.one_of(st.lists(path_or_any, max_size=3), value),
        swarm=path_or_any,
        ignore=value,
        eval=_opt(
            concurrency=scalar,
            judge=value,
            gate=_opt(min_pass_rate=scalar, max_regressions=scalar),
            limits=value,
        ),
        workspace=_opt(backend=text, path=path_or_any, prune=scalar, fastio=value),
        status_file=path_or_any,
        status=value,
        report=value,
    ),
    value,
)
raw = st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1")))


def _dump(data, fmt: str, out: Path) -> str:  # type: ignore[no-untyped-def]
    def fix(v):  # type: ignore[no-untyped-def]
        if isinstance(v, str):
            return v.replace("{OUT}", str(out))
        if isinstance(v, dict):
            return {(k[:-1] if k in ("assert_",) else fix(k)): fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    data = fix(data)
    if fmt == "json":
        return json.dumps(data, default=str)
    return yaml.safe_dump(data, allow_unicode=True)


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8", "surrogatepass"))


def _build(repo: Path, out: Path, m, t, e, c, raw_text, raw_target: int) -> None:  # type: ignore[no-untyped-def]
    d = repo / "agents" / "a"
    d.mkdir(parents=True)
    (d / "system_prompt.md").write_text("hi {{ company }}\n")
    (d / "link.md").symlink_to(out / "secret.txt")
    (d / "linkdir").symlink_to(out / "knowledge")
    files = {
        d / "agent.yaml": _dump(m, "yaml", out),
        d / "tools.json": _dump(t, "json", out),
        d / "evals" / "golden.yaml": _dump(e, "yaml", out),
        d / "evals" / "more.jsonl": "\n".join(
            _dump(x, "json", out) for x in (e if isinstance(e, list) else [e])
        ),
        repo / "agentci.yaml": _dump(c, "yaml", out),
    }
    targets = list(files)
    files[targets[raw_target % len(targets)]] = raw_text  # one file is raw junk instead
    for p, content in files.items():
        _write(p, content)


def _check_in_process(repo: Path, outside: Path, secret: str) -> None:
    with forbid(outside) as hits:
        loaded = load_repo(WorkTree(repo))
        findings = validate(loaded)
        texts = [
            render(findings, fmt, agents=len(loaded.agents))
            for fmt in ("text", "json", "github", "sarif")
        ]
        for agent in loaded.agents:
            agent.files(loaded.source)
            agent.knowledge_files(loaded.source)
    assert not hits, f"file access outside the repo: {hits}"
    for f in findings:
        assert not f.path.startswith(("/", "../")) and "\x00" not in f.path, f
    for t in texts:
        assert secret not in t


SETTINGS = settings(
    max_examples=int(os.environ.get("AGENTCI_HOSTILE_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@SETTINGS
@given(
    m=manifest,
    t=tools,
    e=eval_set,
    c=config,
    raw_text=st.one_of(st.none(), raw),
    raw_target=st.integers(0, 10),
)
def test_generated_repos_load_and_validate(m, t, e, c, raw_text, raw_target):
    base = Path(tempfile.mkdtemp(prefix="agentci-hostile-"))
    try:
        box = make_sandbox(base)
        _build(
            box.repo,
            box.outside,
            m,
            t,
            e,
            c,
            raw_text if raw_text is not None else _dump(m, "yaml", box.outside),
            raw_target,
        )
        box.arm()
        _check_in_process(box.repo, box.outside, box.secret)
        box.assert_untouched()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(m=manifest, e=eval_set, c=config)
def test_generated_repos_through_cli(m, e, c, cli):
    base = Path(tempfile.mkdtemp(prefix="agentci-hostile-cli-"))
    try:
        box = make_sandbox(base)
        _build(box.repo, box.outside, m, {"tools": []}, e, c, _dump(m, "yaml", box.outside), 0)
        box.arm()
        proc = cli("validate", "--format", "github", cwd=box.repo, timeout=60)
        box.check(proc)
    finally:
        shutil.rmtree(base, ignore_errors=True)
