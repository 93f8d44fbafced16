"""Secret scanning: every kind is found in every file agentci reads, and the value never shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agentci.validate import secrets
from tests.conftest import run_cli
from tests.validate.conftest import check

# Built at run time so the repository itself never holds a credential-shaped string.
OPENAI = "sk-" + "proj-" + "Zx81Kq4Lm2Np7Rt5Vw3Yb6Cd9Ef0Gh1Jk4Mn"
ANTHROPIC = "sk-" + "ant-api03-" + "Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc"
GITHUB = "ghp" + "_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
GITHUB_PAT = "github" + "_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuv"
AWS = "AKIA" + "Q3EGRN7XZ5WVTYLB"
GOOGLE = "AIza" + "SyD8x7Q1w2E3r4T5y6U7i8O9p0AaSsDdFfG"
SLACK = "xox" + "b-1234567890-0987654321-AbCdEfGhIjKlMnOp"
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"
ENTROPIC = "Zq8xT4mW9pLk2Rv7Yc3N"

CASES = [
    ("secret-openai-key", f'api: "{OPENAI}"'),
    ("secret-anthropic-key", f"key {ANTHROPIC}"),
    ("secret-github-token", f"token {GITHUB}"),
    ("secret-github-token", f"pat={GITHUB_PAT}"),
    ("secret-aws-key", f"aws_access_key_id = {AWS}"),
    ("secret-google-key", f"maps: {GOOGLE}"),
    ("secret-slack-token", f"hook {SLACK}"),
    ("secret-private-key", PEM),
    ("secret-high-entropy", f"client_secret: {ENTROPIC}"),
]


@pytest.mark.parametrize(("rule", "text"), CASES)
def test_each_kind_is_found_and_masked(rule: str, text: str) -> None:
    [f] = secrets.scan("x.md", f"line one\n  {text}\n")
    secret = (
        text.split()[-1].strip('"').split("=")[-1] if rule != "secret-private-key" else "-----BEGIN"
    )
    assert (f.rule, f.line, f.column) == (rule, 2, ("  " + text).index(secret) + 1)
    assert "MIIEpAIBAAKCAQEA7" not in f.message
    if rule != "secret-private-key":
        assert secret[4:] not in f.message + f.hint
        assert f"{secret[:4]}… ({len(secret)} chars)" in f.message


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens: 512",
        "api_key_env: OPENAI_API_KEY",
        "secrets: [ZENDESK_API_KEY]",
        "password: changeme-changeme-123",
        "token: xxxxxxxxxxxxxxxxxxxx1",
        "sk-learn-is-a-python-library-name",
        "the task-ant-colony is big",
        "description: tokenizer settings for model 1234567890abcdef",
        "github-token: ${{ secrets.GITHUB_TOKEN }}",
    ],
)
def test_ordinary_text_is_not_a_secret(text: str) -> None:
    assert secrets.scan("x.md", text) == []


def test_secrets_in_every_file_agentci_reads(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "agentci.yaml": f"# token: {GITHUB}\n",
            "agents/bot/agent.yaml": f"# {AWS}\nagent: {{name: bot, prompt: system_prompt.md, variables: {{company: A}},"
            " tools: tools.json, knowledge: [../../knowledge], evals: [evals/golden.yaml]}\n",
            "agents/bot/system_prompt.md": f"{{{{ company }}}} key {OPENAI}\n",
            "agents/bot/tools.json": f'[{{"name": "t", "description": "{SLACK}", "inputSchema": {{"type": "object"}}}}]',
            "agents/bot/evals/golden.yaml": f"cases: [{{input: '{GOOGLE}'}}]\n",
            "knowledge/deep/notes.md": PEM + "\n",
            "swarm.yaml": f"# {ANTHROPIC}\nroles: []\n",
        }
    )
    found = {(f.path, f.rule) for f in check(root) if f.rule.startswith("secret-")}
    assert found == {
        ("agentci.yaml", "secret-github-token"),
        ("agents/bot/agent.yaml", "secret-aws-key"),
        ("agents/bot/system_prompt.md", "secret-openai-key"),
        ("agents/bot/tools.json", "secret-slack-token"),
        ("agents/bot/evals/golden.yaml", "secret-google-key"),
        ("knowledge/deep/notes.md", "secret-private-key"),
        ("swarm.yaml", "secret-anthropic-key"),
    }


def test_no_output_format_ever_shows_a_secret(make_repo: Callable[..., Path]) -> None:
    values = [OPENAI, ANTHROPIC, GITHUB, AWS, GOOGLE, SLACK, ENTROPIC]
    body = "\n".join(f"api_key: {v}" for v in values)
    root = make_repo({"knowledge/leak.md": body + "\n" + PEM + "\n"})
    for fmt in ("text", "json", "github", "sarif"):
        proc = run_cli("validate", str(root), "--format", fmt)
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout.count("secret-") >= len(values)
        for v in values:
            assert v[4:] not in proc.stdout + proc.stderr, (fmt, v[:4])
        assert "MIIEpAIBAAKCAQEA7" not in proc.stdout
    data = json.loads(run_cli("validate", str(root), "--format", "json").stdout)
    assert len([f for f in data["findings"] if f["rule"].startswith("secret-")]) == len(values) + 1
