"""`agentci init` writes a repo that validates clean; every examples/* repo validates clean (real CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentci.commands.init import scaffold_files
from tests.conftest import EXAMPLES, run_cli

EXAMPLE_REPOS = sorted(
    p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith(".")
)


@pytest.mark.parametrize("name", EXAMPLE_REPOS)
def test_example_validates_clean(name: str) -> None:
    proc = run_cli("validate", str(EXAMPLES / name), "--strict")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 error(s), 0 warning(s)" in proc.stdout


def test_the_three_layouts_are_there() -> None:
    assert {"support-bot", "swarm", "single-agent"} <= set(EXAMPLE_REPOS)
    assert (EXAMPLES / "single-agent" / "agent-manifest.yaml").is_file()
    assert (EXAMPLES / "single-agent" / "prompts" / "system.md").is_file()
    assert (EXAMPLES / "swarm" / "swarm.yaml").is_file()


def test_init_writes_a_clean_repo_with_a_workflow(tmp_path: Path) -> None:
    target = tmp_path / "new"
    proc = run_cli("init", str(target))
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert written == sorted(scaffold_files())
    assert {
        "agentci.yaml",
        ".github/workflows/agentci.yml",
        "agents/assistant/agent.yaml",
        "agents/assistant/tools.json",
        "agents/assistant/evals/golden.yaml",
    } <= set(written)
    assert any(p.startswith("knowledge/") for p in written)
    manifest = yaml.safe_load((target / "agents/assistant/agent.yaml").read_text())
    assert manifest["agent"]["model"]["provider"] == "local"
    workflow = yaml.safe_load((target / ".github/workflows/agentci.yml").read_text())
    # Least privilege: read-only by default; each job asks for what it writes.
    assert workflow["permissions"] == {"contents": "read"}
    pr, deploy = workflow["jobs"]["pr"], workflow["jobs"]["deploy"]
    assert pr["permissions"] == {"contents": "read", "pull-requests": "write", "statuses": "write"}
    assert (
        deploy["permissions"]["contents"] == "write"
        and "pull-requests" not in deploy["permissions"]
    )
    assert "concurrency" in deploy
    for job in (pr, deploy):
        assert any(s.get("uses") == "agentci/agentci@v1" for s in job["steps"])
    check = run_cli("validate", str(target), "--strict")
    assert check.returncode == 0, check.stdout


def test_init_refuses_to_overwrite_then_force(tmp_path: Path) -> None:
    (tmp_path / "agentci.yaml").write_text("# mine\n")
    proc = run_cli("init", str(tmp_path))
    assert proc.returncode == 1
    assert (
        "agentci.yaml" in proc.stderr
        and "--force" in proc.stderr
        and "Traceback" not in proc.stderr
    )
    assert (tmp_path / "agentci.yaml").read_text() == "# mine\n"
    assert not (tmp_path / "agents").exists()  # nothing written when refusing
    assert run_cli("init", str(tmp_path), "--force").returncode == 0
    assert (tmp_path / "agentci.yaml").read_text() != "# mine\n"


def test_init_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    proc = run_cli("init", str(tmp_path / "file"))
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_init_below_a_file_is_a_usage_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    proc = run_cli("init", str(tmp_path / "file" / "sub"))
    assert proc.returncode == 2, proc.stderr
    assert "internal error" not in proc.stderr and "cannot write" in proc.stderr
    assert (tmp_path / "file").read_text() == "x"
