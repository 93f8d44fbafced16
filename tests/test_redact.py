"""The one redaction step: every form of a known value, split writes, repo-named variables."""

from __future__ import annotations

import io
import json
import urllib.parse

from agentci import redact, safe_text

KEY = "sk-proj-Ab3_dEf-9xYz_0123456789abcdef"


def _redactor(value: str = KEY) -> redact.Redactor:
    r = redact.Redactor()
    r.learn("OPENAI_API_KEY", value)
    return r


def test_every_escaped_form_is_replaced():
    r = _redactor()
    for form in (
        KEY,
        safe_text.md_inline(KEY),
        safe_text.md_code(KEY),
        json.dumps(KEY)[1:-1],
        urllib.parse.quote(KEY, safe=""),
        json.dumps(safe_text.md_inline(KEY))[1:-1],
    ):
        out = r.text(f"before {form} after")
        assert KEY not in out and form not in out and "[REDACTED:OPENAI_API_KEY]" in out, form


def test_short_values_and_unknown_text_are_left_alone():
    r = redact.Redactor()
    assert r.learn("X_TOKEN", "true") == []
    assert r.text("true story") == "true story"
    r.learn("X_TOKEN", KEY)
    assert r.text("nothing secret here") == "nothing secret here"


def test_scrub_redacts_keys_and_nested_values():
    r = _redactor()
    data = {KEY: [{"output": f"x {KEY}"}, 3, None]}
    assert r.scrub(data) == {
        "[REDACTED:OPENAI_API_KEY]": [{"output": "x [REDACTED:OPENAI_API_KEY]"}, 3, None]
    }


def test_a_value_split_over_two_writes_is_still_caught():
    redact.learn_env(["TEST_SPLIT_TOKEN"], {"TEST_SPLIT_TOKEN": KEY})
    sink = io.StringIO()
    stream = redact.RedactingStream(sink)
    stream.write("key: " + KEY[:10])
    stream.write(KEY[10:] + "\n")
    stream.write("tail without newline")
    stream.flush()
    assert KEY not in sink.getvalue() and "[REDACTED:TEST_SPLIT_TOKEN]" in sink.getvalue()
    assert sink.getvalue().endswith("tail without newline")


def test_credential_names():
    env = {
        "OPENAI_API_KEY": "x",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AZURE_OPENAI_API_KEY": "x",
        "MY_PASSWORD": "x",
        "PATH": "x",
        "HOME": "x",
        "ACTIONS_RUNTIME_URL": "x",
    }
    assert redact.credential_names(env) == [
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "AZURE_OPENAI_API_KEY",
        "MY_PASSWORD",
        "OPENAI_API_KEY",
    ]


def test_repo_named_variables_are_learned():
    from types import SimpleNamespace

    doc = SimpleNamespace(
        data={
            "eval": {"judge": {"api_key_env": "JUDGE_KEY_VAR"}},
            "workspace": {"fastio": {"token_env": "WS_VAR"}},
            "agent": {"secrets": ["ZD_VAR"]},
        }
    )
    repo = SimpleNamespace(documents={"agentci.yaml": doc}, agents=[])

    env = {
        "JUDGE_KEY_VAR": "judge-value-123456",
        "WS_VAR": "ws-value-1234567",
        "ZD_VAR": "zd-value-1234567",
    }
    redact.learn_repo(repo, env)
    out = redact.text(" ".join(env.values()))
    assert all(v not in out for v in env.values()), out
