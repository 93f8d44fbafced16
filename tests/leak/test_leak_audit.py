"""Leak audit: fake secrets in the environment and planted in files; every command run as the real CLI.

Everything agentci writes is scanned — stdout, stderr, results JSON, JUnit, reports, the
cache dir, the workspace, deployment log and status, commits it makes, every request it
sends to the OpenAI and GitHub stand-ins — and no secret value may appear, except the
one API key in the Authorization header of the endpoint it is meant for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from leak_kit import (
    ALL,
    ENV_SECRETS,
    FILE_SECRETS,
    RecordingHandler,
    find,
    git_history,
    make_repo,
    scan_tree,
)
from servers.openai_stub import Stub

from tests.conftest import git, init_repo

PLANTED = (".env", "agents/bot/.env", "credentials.json", ".git")


@pytest.fixture
def model():
    stub = Stub(RecordingHandler)
    stub.server.seen = []  # type: ignore[attr-defined]
    yield stub
    stub.stop()


def _env(tmp: Path, model: Stub | None = None, **extra: str) -> dict[str, str]:
    env = {**ENV_SECRETS, "AGENTCI_CACHE_DIR": str(tmp / "cache"), **extra}
    if model:
        env["OPENAI_BASE_URL"] = model.url
    return env


def _actions_env(
    tmp: Path,
    model: Stub,
    api_url: str,
    event: Path,
    head: str,
    summary: Path,
    output: Path,
    **extra: str,
) -> dict[str, str]:
    """A pull_request run in GitHub Actions against the GitHub stand-in at `api_url`."""
    return _env(
        tmp,
        model,
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY="octo/app",
        GITHUB_API_URL=api_url,
        GITHUB_SHA=head,
        GITHUB_RUN_ID="1",
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(output),
        **extra,
    )


def _no_leak(where: str, blob: bytes | str) -> None:
    if isinstance(
        blob, str
    ):  # the runner consumes `::add-mask::` lines: they never show in the log
        blob = "\n".join(line for line in blob.splitlines() if not line.startswith("::add-mask::"))
    found = find(blob)
    assert not found, f"{where}: secret values of {found} appear"


def _check_model_requests(model: Stub) -> None:
    seen = model.server.seen  # type: ignore[attr-defined]
    assert seen, "the model stand-in saw no request"
    for req in seen:
        headers = dict(req["headers"])
        auth = headers.pop("Authorization", "")
        assert auth in ("", f"Bearer {ENV_SECRETS['OPENAI_API_KEY']}"), (
            "unexpected credential sent to the model"
        )
        _no_leak(f"request to {req['path']} (headers)", json.dumps(headers))
        _no_leak(f"request to {req['path']} (body)", req["body"])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = make_repo(tmp_path / "repo")
    init_repo(r)
    return r


def test_validate_never_prints_secret_values(tmp_path, cli):
    r = make_repo(tmp_path / "repo")
    # hard-coded secrets in agent content: validate must flag them without echoing them
    (r / "agents" / "bot" / "system_prompt.md").write_text(
        f"Use key {FILE_SECRETS['dotenv']} and {ENV_SECRETS['OPENAI_API_KEY']}\n"
    )
    manifest = r / "agents" / "bot" / "agent.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "{company: Acme}", f"{{company: Acme, token: {ENV_SECRETS['GITHUB_TOKEN']}}}"
        )
    )
    init_repo(r)
    for fmt in ("text", "json", "github", "sarif"):
        proc = cli("validate", "--format", fmt, cwd=r, env=_env(tmp_path, GITHUB_ACTIONS="true"))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        _no_leak(f"validate --format {fmt}", proc.stdout + proc.stderr)
    assert "secret" in proc.stdout.lower()


@pytest.mark.parametrize("ssti", [False, True], ids=["plain", "template-injection"])
def test_eval_and_report(tmp_path, cli, model, ssti):
    r = make_repo(tmp_path / "repo", ssti=ssti)
    init_repo(r)
    out, junit = tmp_path / "out" / "results.json", tmp_path / "out" / "junit.xml"
    proc = cli(
        "eval", "--output", str(out), "--junit", str(junit), cwd=r, env=_env(tmp_path, model)
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    _no_leak("eval stdout/stderr", proc.stdout + proc.stderr)
    assert out.exists()
    _check_model_requests(model) if not ssti or model.server.seen else None  # type: ignore[attr-defined]
    for fmt in ("markdown", "comment", "summary", "junit", "sarif", "json"):
        rep = cli(
            "report", "--results", str(out), "--format", fmt, cwd=r, env=_env(tmp_path, model)
        )
        assert rep.returncode == 0, rep.stderr
        _no_leak(f"report --format {fmt}", rep.stdout + rep.stderr)
    assert not scan_tree(tmp_path / "out"), scan_tree(tmp_path / "out")
    assert not scan_tree(tmp_path / "cache"), "cache dir holds a secret"
    assert not scan_tree(r, skip=PLANTED), "repo files written by eval hold a secret"


@pytest.mark.parametrize("ssti", [False, True], ids=["plain", "template-injection"])
def test_deploy_diff_status(tmp_path, cli, ssti):
    r = make_repo(tmp_path / "repo", ssti=ssti)
    first = init_repo(r)
    ws = tmp_path / "ws"
    env = _env(tmp_path)
    outputs = []
    for args in (
        ["deploy", "--format", "json"],
        ["diff"],
        ["status", "--format", "json"],
        ["deploy"],
    ):
        proc = cli(*args, "--workspace", str(ws), cwd=r, env=env)
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
        outputs.append(proc.stdout + proc.stderr)
    for text in outputs:
        _no_leak("deploy/diff/status output", text)
    hits = scan_tree(ws)
    assert not hits, f"workspace files hold secrets: {hits}"
    assert not scan_tree(r, skip=PLANTED), "status file or other repo writes hold a secret"
    _no_leak("commits agentci made", git_history(r).split(f"commit {first}")[0])


def _pr_repo(tmp_path):  # type: ignore[no-untyped-def]
    """A repo with a PR branch that edits the prompt, and its pull_request event file."""
    r = make_repo(tmp_path / "repo")
    base = init_repo(r)
    git(r, "checkout", "-q", "-b", "pr")
    (r / "agents" / "bot" / "system_prompt.md").write_text("You are the bot.\nANSWER: Paris.\n")
    git(r, "commit", "-qam", "edit")
    head = git(r, "rev-parse", "HEAD")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "number": 7,
                "pull_request": {
                    "number": 7,
                    "head": {
                        "sha": head,
                        "ref": "pr",
                        "repo": {"full_name": "octo/app", "fork": False},
                    },
                    "base": {"sha": base, "ref": "main", "repo": {"full_name": "octo/app"}},
                },
                "repository": {"full_name": "octo/app", "default_branch": "main"},
            }
        )
    )
    return r, base, head, event


def test_report_post_to_github(tmp_path, cli, model):
    from tests.servers.github_stub import GitHubStub

    r, base, head, event = _pr_repo(tmp_path)
    out = tmp_path / "results.json"
    proc = cli("eval", "--base", base, "--output", str(out), cwd=r, env=_env(tmp_path, model))
    assert proc.returncode in (0, 1), proc.stderr
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    with GitHubStub(repo="octo/app", token=ENV_SECRETS["GITHUB_TOKEN"]) as gh:
        env = _actions_env(tmp_path, model, gh.url, event, head, summary, output)
        rep = cli("report", "--results", str(out), "--post", cwd=r, env=env)
        assert rep.returncode == 0, rep.stderr
        assert gh.requests, "nothing was posted to the GitHub stand-in"
        for req in gh.requests:
            _no_leak(f"{req.method} {req.path}", json.dumps(req.body) + json.dumps(req.query))
        for c in gh.state.comments.values():
            _no_leak("PR comment", c["body"])
    _no_leak("report --post output", rep.stdout + rep.stderr)
    for f in (summary, output):
        if f.exists():
            _no_leak(f.name, f.read_bytes())


def test_secrets_are_unique_and_present():
    """Guard for the audit itself: the values scanned for are distinct and non-trivial."""
    values = list(ALL.values())
    assert len(set(values)) == len(values) and all(len(v) >= 20 for v in values)


def test_ci_in_actions_masks_secrets_and_leaks_none(tmp_path, cli, model):
    """`agentci ci` on a pull_request: `::add-mask::` for the secret values it handles, no value elsewhere."""
    from tests.servers.github_stub import GitHubStub

    r, _base, head, event = _pr_repo(tmp_path)
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    with GitHubStub(repo="octo/app", token=ENV_SECRETS["GITHUB_TOKEN"]) as gh:
        env = _actions_env(
            tmp_path,
            model,
            gh.url,
            event,
            head,
            summary,
            output,
            GITHUB_BASE_REF="main",
            GITHUB_HEAD_REF="pr",
            GITHUB_WORKSPACE=str(r),
        )
        proc = cli("ci", cwd=r, env=env, timeout=300)
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
        for req in gh.requests:
            _no_leak(f"{req.method} {req.path}", json.dumps(req.body) + json.dumps(req.query))
    masked = {
        line.split("::add-mask::", 1)[1]
        for line in proc.stdout.splitlines()
        if line.startswith("::add-mask::")
    }
    for name in ("OPENAI_API_KEY", "GITHUB_TOKEN"):
        assert ENV_SECRETS[name] in masked, f"no ::add-mask:: for {name}"
    rest = "\n".join(
        line for line in proc.stdout.splitlines() if not line.startswith("::add-mask::")
    )
    _no_leak("ci output", rest + proc.stderr)
    _check_model_requests(model)
    for f in (summary, output):
        if f.exists():
            _no_leak(f.name, f.read_bytes())
    assert not scan_tree(r, skip=PLANTED), "files ci wrote into the repo hold a secret"
