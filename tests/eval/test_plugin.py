"""A third-party provider installed under the `agentci.providers` entry point, found by
the real CLI through a real dist-info on PYTHONPATH (nothing registered in-process)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli
from tests.eval.conftest import write_agent

PLUGIN = """
from agentci.eval.providers.base import Provider, Response


class Shouty(Provider):
    name = "shouty"

    def complete(self, request):
        return Response(text=request.messages[-1].content.upper())
"""


def _install(site: Path, module: str, source: str) -> None:
    (site / f"{module}.py").write_text(source)
    dist = site / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[agentci.providers]\n{module} = {module}:Shouty\n")


def test_entry_point_provider_runs_and_a_broken_one_is_one_clear_line(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "shouty", PLUGIN)
    _install(site, "broken", "import no_such_module_here\n")
    root = tmp_path / "repo"
    write_agent(
        root,
        cases="cases:\n  - id: loud\n    input: make it loud\n    assert: [{type: contains, value: MAKE IT LOUD}]\n",
    )
    env = {"PYTHONPATH": str(site), "AGENTCI_CACHE_DIR": str(tmp_path / "cache")}

    proc = run_cli("eval", str(root), "--provider", "shouty", "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["agents"][0]["provider"] == "shouty"
    assert data["agents"][0]["cases"][0]["output"] == "MAKE IT LOUD"

    bad = run_cli("eval", str(root), "--provider", "broken", env=env)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.splitlines()[0] == (
        "agentci: error: the broken provider (plugin broken:Shouty) cannot be loaded: "
        "ModuleNotFoundError: No module named 'no_such_module_here'"
    )


RAISES_SECRET = """
import os
from agentci.eval.providers.base import Provider


class Shouty(Provider):
    name = "leaky"

    def __init__(self, *args, **kwargs):
        raise RuntimeError("cannot start with " + os.environ["LEAKY_API_KEY"])
"""


def test_debug_traceback_of_an_internal_error_is_redacted(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "leaky", RAISES_SECRET)
    root = tmp_path / "repo"
    write_agent(
        root, cases="cases:\n  - id: a\n    input: hi\n    assert: [{type: contains, value: hi}]\n"
    )
    secret = "sk-leaky-0123456789abcdef"
    env = {
        "PYTHONPATH": str(site),
        "AGENTCI_CACHE_DIR": str(tmp_path / "cache"),
        "LEAKY_API_KEY": secret,
    }

    proc = run_cli("--debug", "eval", str(root), "--provider", "leaky", env=env)
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr and "RuntimeError: cannot start with" in proc.stderr
    assert secret not in proc.stderr + proc.stdout
