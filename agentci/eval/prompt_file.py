"""`agentci eval path/to/x.prompt.yml`: one GitHub Models prompt file evaluated on its own,
as `gh models eval` does: on GitHub Models (the file's `model` is a GitHub Models id,
the key is GITHUB_TOKEN), or on `--provider`. The file is its own agent: its messages
are the prompt, its testData the cases, its evaluators the assertions; agentci.yaml of
the directory (or the enclosing git repository) still applies (judge, gates, limits).
"""

from __future__ import annotations

import re
from pathlib import Path

from agentci import git
from agentci.documents import load_document
from agentci.errors import UsageError
from agentci.eval.cases import PROMPT_YML
from agentci.repo import Agent, ModelSpec, Repo, load_repo
from agentci.source import WorkTree

PROVIDER = "github"


def is_prompt_file(path: Path) -> bool:
    return path.name.endswith(PROMPT_YML) and path.is_file()


def load(path: Path) -> tuple[Path, Repo, Agent]:
    """(root, repo, the file as an agent)."""
    path = path.resolve()
    root = _root(path.parent)
    repo = load_repo(WorkTree(root))
    rel = path.relative_to(root).as_posix()
    doc = load_document(repo.source, rel)
    repo.documents[rel] = doc
    data = doc.data if isinstance(doc.data, dict) else {}
    model = data.get("model")
    if not isinstance(model, str) or not model.strip():
        raise UsageError(
            f"{rel}:{doc.line_of([])}: the prompt file names no `model`",
            hint="add e.g. model: openai/gpt-4o-mini (a GitHub Models id), or pass --provider",
        )
    name = re.sub(
        r"[^a-z0-9-]+", "-", path.name.removesuffix(".yml").removesuffix(".yaml").lower()
    ).strip("-")
    parent = Path(rel).parent.as_posix()
    agent = Agent(
        name=name[:63] or "prompt",
        manifest=rel,
        dir="" if parent == "." else parent,
        model=ModelSpec(provider=PROVIDER, name=model.strip()),
        evals=[rel],
    )
    return root, repo, agent


def _root(start: Path) -> Path:
    return git.toplevel(start) or start
