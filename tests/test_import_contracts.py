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
