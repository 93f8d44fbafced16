"""The seed files work as written (issue #12).

agentci was made from Fast.io's articles "AI Agent GitOps: Declarative Agent Deployments"
(the single-agent manifest) and "AI Agent GitOps Workflows" (the swarm file). Their YAML is
kept verbatim in tests/fixtures/seed/ and goes through the real CLI: validate, deploy, status.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentci.mcp import policy
from tests.conftest import ROOT, commit_all, init_repo, run_cli

SEED = ROOT / "tests" / "fixtures" / "seed"


def _repo(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(SEED / name, dest)
    init_repo(dest)
    return dest


def _validate(repo: Path) -> tuple[int, list[dict[str, object]]]:
    proc = run_cli("validate", str(repo), "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)["findings"]


def _deploy(repo: Path, *extra: str) -> tuple[int, str]:
    proc = run_cli("deploy", str(repo), "--format", "json", *extra)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout + proc.stderr


def _policy(repo: Path, agent: str) -> dict[str, list[str]]:
    data: dict[str, list[str]] = json.loads(
        (repo / ".agentci/workspace/.agentci/policies" / f"{agent}.json").read_text()
    )
    return data


def test_the_fixtures_are_the_articles_text() -> None:
    """Guard against "fixing" a fixture: the YAML must stay exactly as the articles print it."""
    assert (SEED / "single-agent/agent-manifest.yaml").read_text() == (
        "agent:\n"
        '  name: "support-bot-v1"\n'
        '  model: "claude-3-5-sonnet"\n'
        '  capabilities: ["read_knowledge_base", "draft_email"]\n'
        '  memory_path: "/mnt/data/memory.json"\n'
        '  permissions: {read: ["/knowledge", "/templates"], write: ["/drafts", "/logs"]}\n'
    )
    assert (SEED / "swarm/swarm.yaml").read_text() == (
        "swarm:\n"
        "  - role: researcher\n"
        '    output_dir: "/research"\n'
        "  - role: writer\n"
        '    input_dir: "/research"\n'
        '    output_dir: "/drafts"\n'
    )
    assert not (SEED / "single-agent/tools.json").exists()


def test_single_agent_manifest_validates_with_warnings_and_deploys(tmp_path: Path) -> None:
    """ "AI Agent GitOps: Declarative Agent Deployments": bare-string model, capabilities naming
    workspace tools, no tools.json, prompts/system.md beside the manifest."""
    repo = _repo(tmp_path, "single-agent")
    rc, findings = _validate(repo)
    assert rc == 0
    got = {(f["rule"], f["severity"], f["line"]) for f in findings}
    # read_knowledge_base is the catalogue's search_knowledge; draft_email is no workspace tool.
    assert got == {("unknown-workspace-tool", "warning", 4), ("no-evals", "warning", 1)}
    [unknown] = [f for f in findings if f["rule"] == "unknown-workspace-tool"]
    assert "'draft_email'" in str(unknown["message"])

    rc, out = _deploy(repo)
    assert rc == 0, out
    live = repo / ".agentci/workspace/agents/support-bot-v1"
    assert (live / "system_prompt.md").read_text() == (repo / "prompts/system.md").read_text()
    assert (live / "agent.yaml").read_bytes() == (repo / "agent-manifest.yaml").read_bytes()
    pol = _policy(repo, "support-bot-v1")
    assert pol["read"] == [
        "/agents/support-bot-v1",
        "/knowledge",
        "/mnt/data/memory.json",
        "/templates",
    ]
    assert pol["write"] == ["/drafts", "/logs", "/mnt/data/memory.json"]
    status = run_cli("status", str(repo), "--format", "json")
    assert status.returncode == 0, status.stderr
    [agent] = json.loads(status.stdout)["agents"]
    assert (agent["name"], agent["sync"], agent["health"]) == (
        "support-bot-v1",
        "Synced",
        "Healthy",
    )


def test_single_agent_manifest_with_a_tools_file_still_errors_and_deploy_refuses(
    tmp_path: Path,
) -> None:
    """With a tools.json, capabilities must name its tools (or workspace tools): one gate for both commands."""
    repo = _repo(tmp_path, "single-agent")
    (repo / "agent-manifest.yaml").write_text(
        (repo / "agent-manifest.yaml")
        .read_text()
        .replace("  model:", "  tools: tools.json\n  model:")
    )
    (repo / "tools.json").write_text(
        '[{"name": "lookup", "description": "d", "inputSchema": {"type": "object"}}]\n'
    )
    commit_all(repo, "tools")
    rc, findings = _validate(repo)
    errors = [(f["rule"], f["path"], f["line"]) for f in findings if f["severity"] == "error"]
    assert rc == 1 and errors == [("unknown-capability", "agent-manifest.yaml", 5)]
    rc, out = _deploy(repo)
    assert rc == 1
    assert (
        "agent-manifest.yaml:5: capability 'draft_email'" in out and "[unknown-capability]" in out
    )
    assert "deploy refused:" in out
    assert not (repo / ".agentci/workspace/agents").exists()  # nothing was changed


def test_swarm_file_validates_and_deploy_grants_the_roles_directories(tmp_path: Path) -> None:
    """ "AI Agent GitOps Workflows": each role is the agent of that name; the researcher may
    write /research, the writer may read it (and write /drafts), granted by deploy."""
    repo = _repo(tmp_path, "swarm")
    rc, findings = _validate(repo)
    assert rc == 0 and {f["rule"] for f in findings} == {"no-evals"}, findings

    rc, out = _deploy(repo)
    assert rc == 0, out
    researcher, writer = _policy(repo, "researcher"), _policy(repo, "writer")
    assert researcher["roles"] == ["researcher"] and writer["roles"] == ["writer"]
    assert "/research" in researcher["write"] and "/research" not in researcher["read"]
    assert "/research" in writer["read"] and writer["write"] == ["/drafts", "/memory/writer.json"]
    policies = repo / ".agentci/workspace/.agentci/policies"
    assert policy.allowed("researcher", "write", "/research/mars.md", policies)
    assert policy.allowed("writer", "read", "/research/mars.md", policies)
    assert not policy.allowed("writer", "write", "/research/mars.md", policies)
    assert policy.allowed("writer", "write", "/drafts/mars.md", policies)
    assert not policy.allowed("researcher", "write", "/knowledge/x.md", policies)


@pytest.mark.parametrize(
    ("output_dir", "rule"),
    [
        ("/knowledge", "write-knowledge"),
        ("/knowledge/notes", "write-knowledge"),
        ("/agents", "write-config"),
        ("/", "write-root"),
        ("/memory/writer.json", "write-other-memory"),
    ],
)
def test_a_role_granting_a_protected_directory_is_an_error_and_not_deployed(
    tmp_path: Path, output_dir: str, rule: str
) -> None:
    repo = _repo(tmp_path, "swarm")
    swarm = (
        (repo / "swarm.yaml")
        .read_text()
        .replace('output_dir: "/research"', f'output_dir: "{output_dir}"')
    )
    swarm = swarm.replace('input_dir: "/research"', f'input_dir: "{output_dir}"')
    (repo / "swarm.yaml").write_text(swarm)
    commit_all(repo, "widen")
    rc, findings = _validate(repo)
    assert rc == 1
    assert (rule, "swarm.yaml", 3) in {(f["rule"], f["path"], f["line"]) for f in findings}, (
        findings
    )
    rc, out = _deploy(repo)
    assert rc == 1 and "swarm.yaml:3: swarm role 'researcher'" in out and f"[{rule}]" in out
    assert not (repo / ".agentci/workspace/.agentci/policies").exists()


def test_swarm_role_without_an_agent_and_both_forms_are_errors(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "swarm")
    (repo / "swarm.yaml").write_text(
        (repo / "swarm.yaml").read_text() + "  - role: editor\n    input_dir: /drafts\n"
        "roles:\n  - {name: x, agent: writer}\n"
    )
    rc, findings = _validate(repo)
    got = {(f["rule"], f["line"]) for f in findings if f["severity"] == "error"}
    assert rc == 1 and got == {("swarm-unknown-agent", 7), ("schema", 1)}, findings
    [both] = [f for f in findings if f["rule"] == "schema"]
    assert "both `roles:` and `swarm:`" in str(both["message"])
