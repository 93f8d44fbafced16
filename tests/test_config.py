"""agentci.yaml defaults: stated once (the config dataclasses), read by the loader and the schema."""

from __future__ import annotations

import json
import subprocess
import sys

from agentci import config
from agentci.config import Config, from_data
from agentci.schema import load_schema


def test_an_empty_or_mistyped_config_is_the_defaults() -> None:
    assert from_data({}) == Config()
    assert from_data(None) == Config()
    wrong = {
        "swarm": 3,
        "status_file": ["x"],
        "eval": {"concurrency": "8", "timeout": -1, "retries": True, "max_retry_after": "no"},
        "workspace": {"backend": 1, "lock_ttl": "long", "index_timeout": 0},
        "report": {"marker": "", "max_output_chars": 1},
    }
    assert from_data(wrong) == Config()


def test_caps_hold_whatever_the_file_says() -> None:
    got = from_data({"eval": {"max_response_bytes": 1 << 40, "max_retry_after": 1e9}})
    assert got.eval.max_response_bytes == config.MAX_RESPONSE_BYTES_CAP
    assert got.eval.max_retry_after == config.MAX_RETRY_AFTER_CAP


def test_the_schema_states_the_dataclass_defaults_and_caps() -> None:
    props = load_schema("config")["properties"]
    ev, ws = props["eval"]["properties"], props["workspace"]["properties"]
    d = Config()
    assert ev["concurrency"]["default"] == d.eval.concurrency
    assert ev["max_retry_after"]["default"] == d.eval.max_retry_after
    assert ev["judge"]["properties"]["name"]["default"] == "gpt-4o-mini"
    assert ws["lock_ttl"]["default"] == d.workspace.lock_ttl
    assert props["agents"]["default"] == d.agents
    assert props["status"]["properties"]["author_name"]["default"] == d.status.author_name
    assert ev["max_response_bytes"]["maximum"] == config.MAX_RESPONSE_BYTES_CAP
    assert ev["max_response_bytes"]["minimum"] == config.MIN_RESPONSE_BYTES
    assert ev["max_retry_after"]["maximum"] == config.MAX_RETRY_AFTER_CAP


def test_agentci_schema_config_prints_the_defaults() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "agentci", "schema", "config"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert (
        printed["properties"]["eval"]["properties"]["retries"]["default"] == Config().eval.retries
    )
