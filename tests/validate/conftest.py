"""Helpers for validation tests: write small repos into tmp dirs and validate them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from agentci.findings import Finding
from agentci.repo import load_repo
from agentci.source import WorkTree
from agentci.validate import validate

#: A minimal clean agent; tests override single files.
BASE: dict[str, str] = {
    "agents/bot/agent.yaml": """\
        agent:
          name: bot
          model: {provider: openai, name: gpt-4o-mini, max_tokens: 100}
          prompt: system_prompt.md
          variables: {company: Acme}
          tools: tools.json
          capabilities: [lookup]
          knowledge: [../../knowledge]
          memory_path: /memory/bot.json
          permissions: {read: [/knowledge], write: [/drafts]}
          evals: [evals/golden.yaml]
        """,
    "agents/bot/system_prompt.md": "You help customers of {{ company }}.\n",
    "agents/bot/tools.json": """\
        [{"name": "lookup", "description": "Look something up.",
          "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}}}]
        """,
    "agents/bot/evals/golden.yaml": """\
        cases:
          - input: hi
            assert: [{type: icontains, value: hello}]
        """,
    "knowledge/faq.md": "# FAQ\n\nWe are open 9 to 5.\n",
}


def write_files(root: Path, files: dict[str, str | bytes | None]) -> Path:
    for rel, content in files.items():
        path = root / rel
        if content is None:
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def check(root: Path) -> list[Finding]:
    return validate(load_repo(WorkTree(root)))


def rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """make_repo({path: text | bytes | None}) -> a repo: BASE with these files replaced (None deletes)."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes | None] | None = None, *, base: bool = True) -> Path:
        root = tmp_path / f"repo{next(counter)}"
        root.mkdir()
        write_files(root, {**(BASE if base else {}), **(files or {})})
        return root

    return make
