"""A corpus of malformed repositories: each builder writes one hostile repo into `repo`.

Builders take (repo, outside) so symlinks and absolute paths can aim at the sentinel
directory next to the repo. Every path field of agent.yaml and agentci.yaml gets a
traversal, an absolute path and a symlink that leads outside.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

Builder = Callable[[Path, Path], None]

GOOD_AGENT = "agent:\n  name: ok\n  model: {provider: openai, name: gpt-4o-mini}\n  prompt: system_prompt.md\n"


def _agent(
    repo: Path,
    name: str = "ok",
    manifest: str | None = None,
    files: dict[str, str | bytes] | None = None,
) -> Path:
    d = repo / "agents" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "system_prompt.md").write_text("You help.\n")
    (d / "agent.yaml").write_text(
        manifest if manifest is not None else GOOD_AGENT.replace("ok", name)
    )
    for rel, content in (files or {}).items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return d


def _manifest(**fields: str) -> str:
    lines = ["agent:", "  name: ok", "  model: {provider: openai, name: gpt-4o-mini}"]
    if "prompt" not in fields:
        lines.append("  prompt: system_prompt.md")
    lines += [f"  {k}: {v}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


CORPUS: dict[str, Builder] = {}


def case(name: str) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        CORPUS[name] = fn
        return fn

    return deco


# -- syntax and types ------------------------------------------------------------------------


@case("yaml-syntax")
def _(repo: Path, out: Path) -> None:
    _agent(repo, manifest="agent:\n  name: ok\n   model: [unclosed\n  prompt: 'x\n")


@case("yaml-tabs-and-dupes")
def _(repo: Path, out: Path) -> None:
    _agent(repo, manifest="agent:\n\tname: ok\nagent:\n  name: ok\n  name: twice\n")


@case("wrong-types")
def _(repo: Path, out: Path) -> None:
    _agent(
        repo,
        manifest="agent:\n  name: 123\n  model: [1, 2]\n  prompt: {a: b}\n  evals: {x: y}\n"
        "  knowledge: 7\n  secrets: {A: B}\n  permissions: [read]\n  lock: locked\n  variables: [1]\n",
    )
    (repo / "agentci.yaml").write_text(
        "agents: 5\neval: [1]\nworkspace: {path: 3, prune: maybe}\nstatus_file: [x]\nstatus: {unknown_key: x, author_name: 1}\n"
        "report: {marker: [1]}\nignore: yes\n"
    )


@case("top-level-scalars")
def _(repo: Path, out: Path) -> None:
    _agent(
        repo,
        manifest="just a string\n",
        files={"tools.json": "42", "evals/golden.yaml": "- 1\n- 2\n"},
    )
    (repo / "agentci.yaml").write_text("null\n")
    (repo / "swarm.yaml").write_text("[[[]]]\n")


@case("bad-tools-and-evals")
def _(repo: Path, out: Path) -> None:
    _agent(
        repo,
        manifest=_manifest(
            tools="tools.json", evals="[evals/a.yaml, evals/b.jsonl, evals/c.prompt.yml]"
        ),
        files={
            "tools.json": '{"tools": [{"name": 1, "inputSchema": "nope"}, null, {"x": {"y": []}}]',
            "evals/a.yaml": "cases:\n  - {}\n  - input: [1]\n    assert: [{type: no-such-type}, 5, {type: regex, value: '(['}]\n",
            "evals/b.jsonl": '{"input": "x"}\nnot json\n[1,2]\n{"input": 1, "assert": "x"}\n',
            "evals/c.prompt.yml": "messages: 5\ntestData: {a: b}\nevaluators: [[[]]]\n",
        },
    )


# -- encodings ---------------------------------------------------------------------------------


@case("encodings")
def _(repo: Path, out: Path) -> None:
    _agent(repo, "latin1", manifest="agent:\n  name: caf\xe9\n".encode("latin-1").decode("latin-1"))
    (repo / "agents" / "latin1" / "agent.yaml").write_bytes(
        "agent:\n  name: caf\xe9\n".encode("latin-1")
    )
    _agent(repo, "utf16")
    (repo / "agents" / "utf16" / "agent.yaml").write_bytes(
        GOOD_AGENT.replace("ok", "utf16").encode("utf-16")
    )
    _agent(repo, "binary")
    (repo / "agents" / "binary" / "agent.yaml").write_bytes(b"\x00\x01\x02agent:\xff\xfe")
    _agent(repo, "bom", manifest="\ufeff" + GOOD_AGENT.replace("ok", "bom"))
    _agent(repo, "lone-surrogate", files={"system_prompt.md": b"hi \xed\xa0\x80 there"})
    _agent(repo, "crlf", manifest=GOOD_AGENT.replace("ok", "crlf").replace("\n", "\r\n"))


# -- size and depth ----------------------------------------------------------------------------


@case("huge-files")
def _(repo: Path, out: Path) -> None:
    _agent(repo, "big")
    (repo / "agents" / "big" / "agent.yaml").write_text(
        GOOD_AGENT.replace("ok", "big") + "# " + "x" * (6 * 1024 * 1024) + "\n"
    )
    cases = "".join(
        f"  - id: c{i}\n    input: q{i}\n    assert: [{{type: contains, value: a}}]\n"
        for i in range(20000)
    )
    _agent(repo, "many-cases", files={"evals/golden.yaml": "cases:\n" + cases})
    _agent(repo, "long-line", files={"system_prompt.md": "y" * (3 * 1024 * 1024)})


@case("deep-nesting")
def _(repo: Path, out: Path) -> None:
    deep = "[" * 5000 + "]" * 5000
    _agent(repo, "deep-yaml", manifest="agent:\n  name: deep-yaml\n  variables: " + deep + "\n")
    _agent(
        repo,
        "deep-json",
        manifest=_manifest(tools="tools.json").replace("name: ok", "name: deep-json"),
        files={"tools.json": '{"tools": ' + "[" * 100000 + "]" * 100000 + "}"},
    )
    _agent(repo, "deep-jsonl", files={"evals/e.jsonl": "[" * 100000 + "]" * 100000 + "\n"})
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    _agent(
        repo,
        "laughs",
        manifest="agent:\n  name: laughs\n  prompt: system_prompt.md\n  variables:\n"
        + "".join("    " + line + "\n" for line in laughs.splitlines()),
    )
    (repo / "agentci.yaml").write_text("eval: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n")


# -- symlinks that lead outside -----------------------------------------------------------------


@case("symlinks-outside")
def _(repo: Path, out: Path) -> None:
    d = _agent(
        repo,
        manifest=_manifest(
            prompt="linked.md",
            tools="tools.json",
            knowledge="[kb, kfile.md]",
            evals="[evals/linked.yaml]",
        ),
    )
    os.symlink(out / "secret.txt", d / "linked.md")
    os.symlink(out / "secret.txt", d / "tools.json")
    os.symlink(out / "knowledge", d / "kb")
    os.symlink(out / "knowledge" / "k.md", d / "kfile.md")
    (d / "evals").mkdir()
    os.symlink(out / "agents" / "evil" / "evals" / "e.yaml", d / "evals" / "linked.yaml")
    # a whole agent directory, agentci.yaml and swarm.yaml that live outside
    os.symlink(out / "agents" / "evil", repo / "agents" / "evil")
    os.symlink(out / "secret.txt", repo / "agentci.yaml")
    os.symlink(out / "secret.txt", repo / "swarm.yaml")
    os.symlink(out, repo / "knowledge")
    os.symlink("/etc/passwd", d / "passwd.md")
    os.symlink(d / "loop", d / "loop")  # a symlink loop


# -- path traversal in every path field --------------------------------------------------------

TRAVERSALS = [
    "../../../outside/secret.txt",
    "{OUT}/secret.txt",
    "/etc/passwd",
    "..\\..\\..\\outside\\secret.txt",
    "agents/../../outside/secret.txt",
    "./../../../outside",
    "~/.ssh/id_rsa",
    "C:\\Windows\\win.ini",
    "file:///etc/passwd",
    "%2e%2e/%2e%2e/outside/secret.txt",
    "x\x00y",
]


@case("traversal-every-field")
def _(repo: Path, out: Path) -> None:
    for i, t in enumerate(TRAVERSALS):
        t = t.replace("{OUT}", str(out))
        q = json.dumps(t)
        _agent(
            repo,
            f"trav-{i}",
            manifest=(
                f"agent:\n  name: trav-{i}\n  model: {{provider: openai, name: gpt-4o-mini}}\n"
                f"  prompt: {q}\n  tools: {q}\n  knowledge: [{q}]\n  evals: [{q}, {json.dumps(t + '/*.yaml')}]\n"
                f"  memory_path: {q}\n  permissions: {{read: [{q}], write: [{q}]}}\n"
                f"  lock: {{path: {q}, on_busy: wait, timeout: 1}}\n"
                f"  smoke: {{input: hi, expect: {{contains: {q}}}}}\n"
            ),
        )
    t = json.dumps(str(out) + "/agents/*/agent.yaml")
    (repo / "agentci.yaml").write_text(
        f'agents: [{t}, "../outside/agents/*/agent.yaml", "../../**/agent.yaml", "agents/*/agent.yaml"]\n'
        f'swarm: "../outside/secret.txt"\nstatus_file: "../outside/status.json"\n'
        f'workspace: {{backend: local, path: "../outside"}}\n'
    )


# -- names with shell and markdown metacharacters --------------------------------------------------

METACHAR_NAMES = [
    "$(touch pwned)",
    "`touch pwned`",
    "a; rm -rf ~",
    "<img src=x onerror=alert(1)>",
    "@everyone",
    "[x](javascript:alert(1))",
    "| col |",
    "line\nbreak",
    "::error::forged",
    "%0A::set-output name=x::y",
    "\u202eevil",
    "' OR 1=1 --",
    "${{ secrets.GITHUB_TOKEN }}",
]


@case("metachar-names")
def _(repo: Path, out: Path) -> None:
    for i, n in enumerate(METACHAR_NAMES):
        q = json.dumps(n)
        _agent(
            repo,
            f"meta-{i}",
            manifest=(
                f"agent:\n  name: {q}\n  description: {q}\n  model: {{provider: {q}, name: {q}}}\n"
                f"  prompt: system_prompt.md\n  secrets: [{q}]\n  capabilities: [{q}]\n  variables: {{{q}: {q}}}\n"
            ),
            files={
                "evals/e.yaml": f"cases:\n  - id: {q}\n    input: {q}\n    assert: [{{type: contains, value: {q}}}]\n"
            },
        )
    # file and directory names with metacharacters
    for n in ["$(touch pwned)", "a b;c", "x`id`", "-rf", "--help", "<b>", "x\ny"]:
        _agent(
            repo,
            n.replace("/", "_"),
            manifest=f"agent:\n  name: {json.dumps(n)}\n  prompt: system_prompt.md\n",
        )


BUILDERS = CORPUS
