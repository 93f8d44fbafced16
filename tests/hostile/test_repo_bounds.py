"""A hostile repository through the real CLI: templates that include, loop or balloon, a
lock held by a dead process, a full disk and a read-only workspace. Each ends in a clear
error or a per-case result, in bounded time and memory, never in "internal error".
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bounded_run import run_measured

from tests.deploy.deploy_helpers import commit_all, make_repo, write

#: template -> words its error must contain
TEMPLATES = {
    "include": ("{% include 'x.md' %}", "{% include %} is not allowed"),
    "import": ("{% import 'x.md' as m %}", "{% import %} is not allowed"),
    "extends": ("{% extends 'x.md' %}", "{% extends %} is not allowed"),
    "from": ("{% from 'x.md' import m %}", "{% from %} is not allowed"),
    "range": ("{{ range(10**7)|list|length }}", "larger than the template limit"),
    "truncate": ("{{ 'abc'|truncate(-1) }}", "template failed"),
    "recursion": ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(1) }}", "recursion too deep"),
    "nested-loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "longer than 2 s",
    ),
    "format-width": ("{{ '%0999999999d'|format(1) }}", "format width 999999999"),
    "str-format": ("{{ '{:>999999999}'.format(1) }}", "format width 999999999"),
    "repeat": ("{{ 'x' * 10**9 }}", "builds more than"),
    "doubling": (
        "{% set ns = namespace(s='x' * 1000) %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s|length }}",
        "template stopped",  # the memory cap, or on a loaded machine the time cap
    ),
    "big-output": (
        "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
        "larger than 1,000,000 characters",
    ),
}


def _eval_repo(root: Path) -> Path:
    """One agent per hostile template, on the embedded-model-free `openai` provider pointed
    nowhere: the render fails before any request is made."""
    agents = sorted(TEMPLATES)
    make_repo(root, agents=[a.replace("-", "") for a in agents], knowledge_files=1)
    for name in agents:
        d = root / "agents" / name.replace("-", "")
        write(d / "system_prompt.md", TEMPLATES[name][0] + "\n")
        manifest = (
            (d / "agent.yaml").read_text().replace("  evals: []", "  evals: [evals/golden.yaml]")
        )
        write(
            d / "agent.yaml",
            manifest.replace(
                "{provider: local, name: smollm2-135m-instruct}", "{provider: openai, name: m}"
            ),
        )
        write(
            d / "evals" / "golden.yaml",
            "cases:\n  - id: c1\n    input: hi\n    assert: [{type: contains, value: x}]\n",
        )
    commit_all(root, "hostile templates")
    return root


def test_hostile_templates_are_validate_errors_and_per_case_errors(tmp_path):
    repo = _eval_repo(tmp_path / "r")
    run = run_measured("validate", "--format", "json", cwd=repo, env={})
    assert run.returncode == 1, run.stderr
    found = json.loads(run.stdout)["findings"]
    includes = {f["path"].split("/")[1] for f in found if f["rule"] == "prompt-include"}
    assert includes == {"include", "import", "extends", "from"}

    out = tmp_path / "results.json"
    run = run_measured(
        "eval",
        "--no-cache",
        "--output",
        str(out),
        cwd=repo,
        env={"OPENAI_API_KEY": "sk-unused-123456", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    assert run.returncode == 1, run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    # 13 renders, one of which runs into the 2 s cap; memory stays near the interpreter's own
    assert run.wall_s < 30, f"took {run.wall_s:.1f}s"
    assert run.max_rss_mb < 400, f"peak RSS {run.max_rss_mb:.0f} MB"
    agents = {a["name"]: a for a in json.loads(out.read_text())["agents"]}
    for name, (_, words) in TEMPLATES.items():
        case = agents[name.replace("-", "")]["cases"][0]
        assert case["status"] == "error" and words in case["error"], (name, case["error"])


@pytest.mark.parametrize("name", ["include", "format-width", "nested-loops"])
def test_deploy_refuses_a_hostile_template_and_keeps_the_old_release(tmp_path, name):
    repo = make_repo(tmp_path / "r", agents=["alpha"], knowledge_files=1)
    ws = tmp_path / "ws"
    first = run_measured(
        "deploy", "--no-smoke", "--no-writeback", "--workspace", str(ws), cwd=repo, env={}
    )
    assert first.returncode == 0, first.stderr
    before = (ws / "agents" / "alpha" / "system_prompt.md").read_text()
    write(repo / "agents" / "alpha" / "system_prompt.md", TEMPLATES[name][0] + "\n")
    commit_all(repo, "hostile prompt")
    run = run_measured(
        "deploy", "--no-smoke", "--no-writeback", "--workspace", str(ws), cwd=repo, env={}
    )
    assert run.returncode == 1, run.stderr
    assert "deploy refused:" in run.stderr and TEMPLATES[name][1] in run.stderr, run.stderr
    assert "internal error" not in run.stderr
    assert run.wall_s < 20 and run.max_rss_mb < 400
    assert (ws / "agents" / "alpha" / "system_prompt.md").read_text() == before
    assert max(p.stat().st_size for p in ws.rglob("*") if p.is_file()) < 1_000_000


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _lease(ws: Path, **fields: object) -> None:
    (ws / ".agentci" / "locks").mkdir(parents=True, exist_ok=True)
    data = {"owner": "ghost pid 1", "token": "t" * 32, "expires_at": time.time() + 3600, **fields}
    (ws / ".agentci" / "locks" / "deploy.json").write_text(json.dumps(data))


def _boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip()


@pytest.mark.skipif(
    not Path("/proc/sys/kernel/random/boot_id").exists(), reason="needs Linux /proc"
)
def test_a_lock_held_by_a_dead_process_on_this_host_is_taken_over_at_once(tmp_path):
    import socket

    repo = make_repo(
        tmp_path / "r", agents=["alpha"], knowledge_files=1, config="  options: {lock_wait: 3}\n"
    )
    ws = tmp_path / "ws"
    _lease(ws, pid=_dead_pid(), host=socket.gethostname(), boot_id=_boot_id())
    run = run_measured(
        "deploy", "--no-smoke", "--no-writeback", "--workspace", str(ws), cwd=repo, env={}
    )
    assert run.returncode == 0, run.stderr
    assert run.wall_s < 20  # not the lease's hour
    assert (
        "took over the workspace lock of ghost pid 1: its process" in run.stderr
        and "is gone" in run.stderr
    )


@pytest.mark.parametrize("who", ["other-host", "other-boot", "alive"])
def test_a_lock_whose_holder_may_live_is_not_taken(tmp_path, who):
    import socket

    repo = make_repo(
        tmp_path / "r", agents=["alpha"], knowledge_files=1, config="  options: {lock_wait: 1}\n"
    )
    ws = tmp_path / "ws"
    fields = {"pid": _dead_pid(), "host": socket.gethostname(), "boot_id": _boot_id()}
    if who == "other-host":
        fields["host"] = "elsewhere.example"
    elif who == "other-boot":
        fields["boot_id"] = "00000000-0000-0000-0000-000000000000"
    else:
        fields["pid"] = os.getpid()
    _lease(ws, **fields)
    run = run_measured(
        "deploy", "--no-smoke", "--no-writeback", "--workspace", str(ws), cwd=repo, env={}
    )
    assert run.returncode == 1, run.stderr
    assert "another deploy holds the workspace lock (ghost pid 1)" in run.stderr


def test_deploy_deadline_gives_up_on_a_held_lock(tmp_path):
    import socket

    repo = make_repo(tmp_path / "r", agents=["alpha"], knowledge_files=1)
    ws = tmp_path / "ws"
    _lease(
        ws, pid=os.getpid(), host=socket.gethostname(), boot_id=_boot_id()
    )  # alive: would wait 600 s
    run = run_measured(
        "deploy",
        "--no-smoke",
        "--no-writeback",
        "--deadline",
        "2",
        "--workspace",
        str(ws),
        cwd=repo,
        env={},
    )
    assert run.returncode == 1, run.stderr
    assert run.wall_s < 10, f"took {run.wall_s:.1f}s"
    assert "--deadline of 2 s was reached" in run.stderr, run.stderr


def _fsize_limit(limit: int):  # type: ignore[no-untyped-def]
    def apply() -> (
        None
    ):  # in the child: writes past `limit` bytes fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_full_disk_while_taking_the_lock_is_a_clear_error(tmp_path):
    repo = make_repo(tmp_path / "r", agents=["alpha"], knowledge_files=1)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".gitignore").write_text("*\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "AGENTCI_"))}
    proc = subprocess.run(
        [
            sys.executable,
            "-B",
            "-m",
            "agentci",
            "deploy",
            "--no-smoke",
            "--no-writeback",
            "--workspace",
            str(ws),
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_fsize_limit(64),
    )
    assert proc.returncode == 1, proc.stderr
    assert "cannot take the workspace lock" in proc.stderr and "File too large" in proc.stderr, (
        proc.stderr
    )
    assert "internal error" not in proc.stderr
    assert not (ws / "agents").exists()


@contextlib.contextmanager
def _immutable(path: Path) -> Iterator[None]:
    """A directory nobody may write into, root included (chattr +i). As root, chmod cannot make
    one, so a filesystem without the immutable flag skips the read-only case rather than pass it
    untested; on this project's machines (ext4) it runs: the suite's only skip is another one."""
    if (
        shutil.which("chattr") is None
        or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode
    ):
        pytest.skip("chattr +i is not available on this filesystem")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_read_only_workspace_is_a_clear_error(tmp_path):
    repo = make_repo(tmp_path / "r", agents=["alpha"], knowledge_files=1)
    ws = tmp_path / "ws"
    (ws / ".agentci" / "locks").mkdir(parents=True)
    (ws / ".gitignore").write_text("*\n")
    with _immutable(ws / ".agentci" / "locks"):
        run = run_measured(
            "deploy", "--no-smoke", "--no-writeback", "--workspace", str(ws), cwd=repo, env={}
        )
    assert run.returncode == 1, run.stderr
    assert "cannot take the workspace lock" in run.stderr and "not permitted" in run.stderr, (
        run.stderr
    )
    assert "internal error" not in run.stderr
