"""Hostile repos through deploy / diff / status: writes stay inside the workspace, reads inside the repo.

The workspace sits next to the repo inside the sandbox; everything else there (the
sentinel directory with planted content) must be untouched, and nothing read from it
may show up in the workspace or the output.
"""

from __future__ import annotations

import pytest
from hostile_corpus import CORPUS

from tests.conftest import init_repo

CASES = [
    "traversal-every-field",
    "symlinks-outside",
    "metachar-names",
    "wrong-types",
    "deep-nesting",
]


def _ws_holds(ws, secret: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        str(p)
        for p in ws.rglob("*")
        if p.is_file() and not p.is_symlink() and secret.encode() in p.read_bytes()
    ]


@pytest.mark.parametrize("name", CASES)
def test_deploy_stays_inside(name, sandbox, cli):
    CORPUS[name](sandbox.repo, sandbox.outside)
    init_repo(sandbox.repo)
    ws = sandbox.root / "ws"
    sandbox.allowed.append(ws)
    sandbox.arm()
    for args in (["deploy", "--no-smoke"], ["diff"], ["status"]):
        proc = cli(*args, "--workspace", str(ws), cwd=sandbox.repo, timeout=120)
        sandbox.check(proc)
    assert not _ws_holds(ws, sandbox.secret), "content from outside the repo was deployed"


def test_prompt_template_cannot_touch_the_filesystem(sandbox, cli):
    """A prompt template is data: `{{ ... os.system(...) }}` must not run (jinja2 sandbox)."""
    d = sandbox.repo / "agents" / "ssti"
    d.mkdir(parents=True)
    target = sandbox.outside / "pwned"
    (d / "system_prompt.md").write_text(
        "{{ cycler.__init__.__globals__.os.system('touch " + str(target) + "') }}\n"
        "{{ lipsum.__globals__['os'].popen('cat "
        + str(sandbox.outside / "secret.txt")
        + "').read() }}\n"
    )
    (d / "agent.yaml").write_text("agent:\n  name: ssti\n  prompt: system_prompt.md\n")
    init_repo(sandbox.repo)
    ws = sandbox.root / "ws"
    sandbox.allowed.append(ws)
    sandbox.arm()
    proc = cli("deploy", "--no-smoke", "--workspace", str(ws), cwd=sandbox.repo, timeout=120)
    assert not target.exists(), "a prompt template ran a shell command during deploy"
    sandbox.check(proc)
    assert not _ws_holds(ws, sandbox.secret)
