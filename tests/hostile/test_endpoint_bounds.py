"""A model endpoint that misbehaves on purpose, through the real CLI: every run ends in
bounded time and memory, measured from outside the process, and no credential value (in any
escaped form) reaches a file, the PR comment, the summary, the outputs or the log.

Issue #10: a drip server ran without end, an endless body grew to 3.7 GB, a 100 MB answer
took 612 MB, `Retry-After: 3600` cost minutes, and echoed keys were published.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from bounded_run import run_measured

from tests.conftest import init_repo
from tests.servers.github_stub import GitHubStub
from tests.servers.hostile_http import Hostile, escaped_forms

# A generous ceiling: CPython + httpx + jinja2 is ~60-90 MB; 4 MiB bodies are the cap. The
# unbounded client took 612 MB (100 MB answer) and 3.7 GB (endless body).
MAX_RSS_MB = 250

KEY = "sk-proj-Ab3_dEf-9xYz_0123456789abcdef"
SECRETS = {
    "MY_LLM_KEY": KEY,  # named by the agent's api_key_env
    "GITHUB_TOKEN": "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
    "ACTIONS_RUNTIME_TOKEN": "eyJ0eXAiOiJKV1Qi.runtime-token_value-42",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "id-token-request_secret+/value=",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ZENDESK_API_KEY": "zd-key_(with)*markdown*`chars`",  # named by the agent's secrets:
}


def _forms(value: str) -> list[str]:
    return [*escaped_forms(value), urllib.parse.quote_plus(value)]


def _repo(root: Path, markers: list[str], *, timeout: float = 3, retries: int = 1) -> Path:
    d = root / "agents" / "bot"
    (d / "evals").mkdir(parents=True)
    (d / "system_prompt.md").write_text("You are a test bot.\n")
    (d / "agent.yaml").write_text(
        "agent:\n  name: bot\n  model: {provider: openai, name: m, api_key_env: MY_LLM_KEY}\n"
        "  prompt: system_prompt.md\n  secrets: [ZENDESK_API_KEY]\n  evals: [evals/golden.yaml]\n"
    )
    cases = "".join(
        f"  - id: {m}\n    input: 'please [[{m}]]'\n    assert: [{{type: contains, value: hello}}]\n"
        for m in markers
    )
    (d / "evals" / "golden.yaml").write_text("cases:\n" + cases)
    (root / "agentci.yaml").write_text(
        f"eval:\n  timeout: {timeout}\n  retries: {retries}\n  concurrency: 8\n"
    )
    init_repo(root)
    return root


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    h = Hostile(echo=tuple(v for k, v in SECRETS.items() if k != "MY_LLM_KEY"))
    yield h
    h.stop()


def _cases(out: Path) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads(out.read_text())["agents"][0]["cases"]}


def _env(tmp_path: Path, hostile: Hostile) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": hostile.url,
        "MY_LLM_KEY": KEY,
        "AGENTCI_CACHE_DIR": str(tmp_path / "cache"),
    }


def test_dripping_answers_are_cut_at_the_request_deadline(tmp_path, hostile):
    repo = _repo(tmp_path / "r", ["drip", "drip-headers", "ok"])
    out = tmp_path / "results.json"
    run = run_measured(
        "eval", "--no-cache", "--output", str(out), cwd=repo, env=_env(tmp_path, hostile)
    )
    assert run.returncode == 1, run.stderr  # gate failed: a verdict, not a crash (2) or a hang
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    # 3 s deadline per request, 2 attempts, in parallel (the unbounded client never ended)
    assert run.wall_s < 25, f"took {run.wall_s:.1f}s"
    cases = _cases(out)
    assert cases["ok"]["status"] == "pass"
    for cid in ("drip", "drip-headers"):
        assert cases[cid]["status"] == "error"
        assert "3 s request deadline" in cases[cid]["error"], cases[cid]["error"]


def test_endless_huge_and_bomb_answers_are_cut_at_the_size_limit(tmp_path, hostile):
    # A deadline far off, so it is the size cap that ends each body.
    repo = _repo(tmp_path / "r", ["endless", "huge", "gzip-bomb", "ok"], timeout=60, retries=0)
    out = tmp_path / "results.json"
    run = run_measured(
        "eval", "--no-cache", "--output", str(out), cwd=repo, env=_env(tmp_path, hostile)
    )
    assert run.returncode == 1, run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    assert run.wall_s < 40, f"took {run.wall_s:.1f}s"
    assert run.max_rss_mb < MAX_RSS_MB, f"peak RSS {run.max_rss_mb:.0f} MB"
    cases = _cases(out)
    assert cases["ok"]["status"] == "pass"
    for cid in ("endless", "huge", "gzip-bomb"):
        assert cases[cid]["status"] == "error"
        assert "larger than the 4,194,304-byte limit" in cases[cid]["error"], cases[cid]["error"]
    assert out.stat().st_size < 100_000  # nothing of the bodies was written


def test_response_size_limit_is_configurable(tmp_path, hostile):
    repo = _repo(tmp_path / "r", ["ok"])
    (repo / "agentci.yaml").write_text("eval:\n  max_response_bytes: 1024\n  timeout: 3\n")
    out = tmp_path / "results.json"
    env = {**_env(tmp_path, hostile)}
    run = run_measured("eval", "--no-cache", "--output", str(out), cwd=repo, env=env)
    assert run.returncode == 0, run.stderr  # the normal answer is ~250 bytes
    env["AGENTCI_MAX_RESPONSE_BYTES"] = "100"
    run = run_measured("eval", "--no-cache", "--output", str(out), cwd=repo, env=env)
    assert run.returncode == 1
    assert "larger than the 100-byte limit" in _cases(out)["ok"]["error"]


def test_retry_after_beyond_the_cap_fails_the_case_instead_of_waiting(tmp_path, hostile):
    repo = _repo(tmp_path / "r", ["retry-after"], retries=4)
    out = tmp_path / "results.json"
    run = run_measured(
        "eval", "--no-cache", "--output", str(out), cwd=repo, env=_env(tmp_path, hostile)
    )
    assert run.returncode == 1, run.stderr
    assert run.wall_s < 15, f"took {run.wall_s:.1f}s"
    error = _cases(out)["retry-after"]["error"]
    assert "retry after 3600 s" in error and "eval.max_retry_after" in error, error
    assert hostile.requests == 1  # no retry was sent


def test_run_deadline_bounds_the_whole_eval(tmp_path, hostile):
    repo = _repo(tmp_path / "r", [*(["drip"] * 1), "ok"], timeout=600, retries=4)
    out = tmp_path / "results.json"
    run = run_measured(
        "eval",
        "--no-cache",
        "--deadline",
        "4",
        "--output",
        str(out),
        cwd=repo,
        env=_env(tmp_path, hostile),
    )
    assert run.returncode == 1, run.stderr
    assert run.wall_s < 15, f"took {run.wall_s:.1f}s"
    cases = _cases(out)
    assert "--deadline of 4 s" in cases["drip"]["error"], cases["drip"]["error"]
    assert cases["ok"]["status"] == "pass"


def test_bad_deadline_is_a_usage_error(tmp_path, hostile):
    repo = _repo(tmp_path / "r", ["ok"])
    run = run_measured("eval", "--deadline", "0", cwd=repo, env=_env(tmp_path, hostile))
    assert run.returncode == 2 and "--deadline must be more than 0" in run.stderr


def test_echoed_secrets_reach_no_output_in_any_form(tmp_path, hostile):
    repo = _repo(tmp_path / "r", ["echo-secrets", "error-secret"])
    out = tmp_path / "res" / "results.json"
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    summary.write_text("")
    outputs.write_text("")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "number": 7,
                "pull_request": {
                    "number": 7,
                    "head": {"sha": "a" * 40, "ref": "f", "repo": {"full_name": "octo/app"}},
                    "base": {"sha": "b" * 40, "ref": "main", "repo": {"full_name": "octo/app"}},
                },
                "repository": {"full_name": "octo/app", "default_branch": "main"},
            }
        )
    )
    with GitHubStub("octo/app", SECRETS["GITHUB_TOKEN"]) as gh:
        env = {
            **_env(tmp_path, hostile),
            **SECRETS,
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "octo/app",
            "GITHUB_API_URL": gh.url,
            "GITHUB_RUN_ID": "1",
            "GITHUB_SERVER_URL": "https://github.com",
        }
        runs = [
            run_measured(
                "eval",
                "--base",  # the trusted side names MY_LLM_KEY for this endpoint, so it is sent
                "HEAD",
                "--output",
                str(out),
                "--junit",
                str(tmp_path / "res" / "junit.xml"),
                cwd=repo,
                env=env,
            ),
            run_measured(
                "report",
                "--results",
                str(out),
                "--format",
                "markdown",
                "-o",
                str(tmp_path / "res" / "r.md"),
                cwd=repo,
                env=env,
            ),
            run_measured("report", "--results", str(out), "--format", "junit", cwd=repo, env=env),
            run_measured("report", "--results", str(out), "--format", "json", cwd=repo, env=env),
            run_measured("report", "--results", str(out), "--post", cwd=repo, env=env),
        ]
        comments = gh.comments_on(7)
    assert [r.returncode for r in runs] == [1, 0, 0, 0, 0], [r.stderr for r in runs]
    assert comments, "the PR comment was posted"
    cases = _cases(out)
    assert "[REDACTED:MY_LLM_KEY]" in cases["echo-secrets"]["output"]
    assert "[REDACTED:MY_LLM_KEY]" in cases["error-secret"]["error"]

    texts = {
        "comment": "\n".join(c["body"] for c in comments),
        "summary": summary.read_text(),
        "outputs": outputs.read_text(),
    }
    texts.update({p.name: p.read_text(errors="replace") for p in (tmp_path / "res").iterdir()})
    texts.update(
        {
            f"cache/{p.name}": p.read_text(errors="replace")
            for p in (tmp_path / "cache").rglob("*")
            if p.is_file()
        }
    )
    for i, r in enumerate(runs):
        lines = r.stdout.splitlines()
        masks = [n for n, line in enumerate(lines) if line.startswith("::add-mask::")]
        # every mask before the first other line, and the key itself among them
        assert masks == list(range(len(masks))), lines[:5]
        assert f"::add-mask::{KEY}" in lines
        texts[f"run{i}.stdout"] = "\n".join(
            line for line in lines if not line.startswith("::add-mask::")
        )
        texts[f"run{i}.stderr"] = r.stderr
    assert len(texts) >= 12
    for name, value in SECRETS.items():
        for form in _forms(value):
            for where, text in texts.items():
                assert form not in text, f"{name} ({form!r}) leaked into {where}"
