"""The import graph: the layers, no cycles, and heavy libraries imported only where needed.

`lint-imports` checks the contracts in pyproject.toml ([tool.importlinter]); running it here
puts it in the suite CI runs. The second test imports every agentci module in a fresh
interpreter and checks that none of the heavy libraries came with it: they belong inside
the function that needs them (`agentci validate` must start fast).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("deepeval", "llama_cpp", "github", "boto3", "botocore", "mcp", "jinja2", "torch", "numpy")


def test_import_contracts_hold() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_no_module_imports_a_heavy_library_at_import_time() -> None:
    code = (
        "import importlib, json, pkgutil, sys\n"
        "import agentci\n"
        "names = [m.name for m in pkgutil.walk_packages(agentci.__path__, 'agentci.')\n"
        "         if m.name != 'agentci.__main__']  # __main__ runs the CLI\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps([len(names), sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    count, loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert count > 100  # every module was imported, not just the package
    assert loaded == []


#: Modules outside agentci/github/ that read the Actions run environment themselves. Deploy
#: gets who and where from `agentci.origin`, which the flows fill from `github.gha.origin()`.
#: The list may only shrink.
RUN_ENV_READERS = {
    "agentci/redact.py": {"GITHUB_ACTIONS"},  # `::add-mask::` only in Actions
}
#: Credentials, not the run environment: where they may go is agentci.trust's business.
CREDENTIAL_VARS = {"GITHUB_TOKEN", "GITHUB_PAT"}


def test_only_github_reads_the_actions_run_environment() -> None:
    """`GITHUB_*` / `RUNNER_*` names (as code, not in docstrings or messages) appear only in
    agentci/github/, plus the listed debts; a new reader elsewhere fails here."""
    import ast
    import re

    name = re.compile(r"^(GITHUB|RUNNER)_[A-Z_]+$")
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "agentci").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("agentci/github/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and name.match(node.value)
                and node.value not in CREDENTIAL_VARS
            ):
                found.setdefault(rel, set()).add(node.value)
    assert found == RUN_ENV_READERS
