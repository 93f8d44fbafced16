"""Eval fixtures: a real OpenAI-compatible server on 127.0.0.1 and small agent repos in tmp dirs."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.openai_stub import Stub


@pytest.fixture
def stub() -> Iterator[Stub]:
    s = Stub()
    yield s
    s.stop()


@pytest.fixture
def eval_env(stub: Stub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment a user would set, for in-process runs and for the CLI subprocess."""
    env = {
        "OPENAI_BASE_URL": stub.url,
        "OPENAI_API_KEY": "sk-test",
        "AGENTCI_CACHE_DIR": str(tmp_path / "cache"),
        "CI": "true",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


TOOLS = [
    {
        "name": "lookup",
        "description": "Look something up",
        "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}},
    }
]


def write_agent(
    root: Path,
    name: str = "bot",
    *,
    prompt: str = "You help.\nANSWER: within {{ days }} days\n",
    cases: str = "",
    model: str = "{provider: openai, name: gpt-test, temperature: 0}",
    variables: str = "{days: 30}",
    extra: str = "",
    config: str | None = None,
) -> Path:
    d = root / "agents" / name
    (d / "evals").mkdir(parents=True, exist_ok=True)
    (d / "agent.yaml").write_text(
        textwrap.dedent(f"""\
        agent:
          name: {name}
          model: {model}
          prompt: system_prompt.md
          variables: {variables}
          tools: tools.json
          evals: [evals/golden.yaml]
        """)
        + extra
    )
    (d / "system_prompt.md").write_text(prompt)
    (d / "tools.json").write_text(json.dumps(TOOLS))
    (d / "evals" / "golden.yaml").write_text(textwrap.dedent(cases))
    if config is not None:
        (root / "agentci.yaml").write_text(textwrap.dedent(config))
    return d


def simple_cases(n: int, value: str = "30 days", marker: str = "") -> str:
    lines = ["cases:"]
    for i in range(n):
        lines += [
            f"  - id: c{i:02d}",
            f'    input: "question {i} {marker}"',
            f'    assert: [{{type: icontains, value: "{value}"}}]',
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def agent_repo(tmp_path: Path) -> Callable[..., Path]:
    def make(**kw: Any) -> Path:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        write_agent(root, **kw)
        return root

    return make


def evaluate_doc(opts: Any) -> dict[str, Any]:
    """One eval run in-process, as the results document it writes (SPEC §3): the typed run
    (`agentci.eval.engine.evaluate`) through `agentci.eval.results.to_json`."""
    from agentci.eval import results
    from agentci.eval.engine import evaluate

    return results.to_json(evaluate(opts))


def cases_of(data: dict[str, Any], agent: str | None = None) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for a in data["agents"] if agent in (None, a["name"]) for c in a["cases"]}
