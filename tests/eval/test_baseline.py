"""--base REF on a real git repo: changed agents, regressions, base read without touching the work tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agentci.eval.engine import EvalOptions
from tests.conftest import commit_all, git, init_repo
from tests.eval.conftest import cases_of, evaluate_doc, simple_cases, write_agent


def _status(root: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True
    ).stdout


def _two_agents(root: Path) -> None:
    write_agent(root, "bot", cases=simple_cases(3), extra="  knowledge: [../../knowledge]\n")
    write_agent(root, "other", cases=simple_cases(2))
    (root / "knowledge").mkdir()
    (root / "knowledge" / "faq.md").write_text("Returns: 30 days.\n")


def test_regression_detected_and_unchanged_agent_skipped(stub, eval_env, tmp_path):
    root = tmp_path / "repo"
    _two_agents(root)
    base_sha = init_repo(root)
    git(root, "checkout", "-q", "-b", "pr")
    prompt = root / "agents" / "bot" / "system_prompt.md"
    prompt.write_text("You help.\nANSWER: within 14 days\n")  # the weakened prompt
    head_sha = commit_all(root, "weaken prompt")
    before = _status(root)

    data = evaluate_doc(EvalOptions(root=root, base="main", changed_only=True, progress=False))
    assert data["base"] == {"ref": "main", "commit": base_sha}
    assert data["commit"] == head_sha
    bots = {a["name"]: a for a in data["agents"]}
    bot, other = bots["bot"], bots["other"]
    assert bot["changed"] is True and other["changed"] is False
    assert other["skipped"] == "unchanged since main"
    assert {c["status"] for c in other["cases"]} == {"skipped"}
    assert (
        bot["totals"]["regressions"] == 3 and bot["pass_rate"] == 0 and bot["base_pass_rate"] == 1
    )
    case = cases_of(data, "bot")["c00"]
    assert case["change"] == "regression"
    assert case["base"]["status"] == "pass" and "30 days" in case["base"]["output"]
    assert "14 days" in case["output"]
    assert data["gate"]["passed"] is False
    assert "3 regressions > max 0" in data["gate"]["reasons"]
    # the base was read through git: the work tree is exactly as it was
    assert _status(root) == before
    assert "14 days" in prompt.read_text()
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD") == "pr"


def test_knowledge_change_marks_the_agent_changed_and_new_cases_are_new(stub, eval_env, tmp_path):
    root = tmp_path / "repo"
    _two_agents(root)
    init_repo(root)
    (root / "knowledge" / "faq.md").write_text(
        "Returns: 45 days.\n"
    )  # uncommitted work tree change
    golden = root / "agents" / "bot" / "evals" / "golden.yaml"
    golden.write_text(golden.read_text() + "  - id: extra\n    input: more\n")
    data = evaluate_doc(EvalOptions(root=root, base="HEAD", progress=False))
    bots = {a["name"]: a for a in data["agents"]}
    assert bots["bot"]["changed"] is True
    assert (
        bots["other"]["changed"] is False and bots["other"]["skipped"] is None
    )  # evaluated, not compared
    assert {c["change"] for c in bots["other"]["cases"]} == {None}
    changes = {c["id"]: c["change"] for c in bots["bot"]["cases"]}
    assert changes == {"c00": "same", "c01": "same", "c02": "same", "extra": "new"}
    # identical requests are sent once: base and head of bot's unchanged cases, and `other`,
    # whose two cases are word for word bot's c00 and c01 -> only 4 distinct requests
    assert stub.stats()["completions"] == 4


def test_unknown_base_ref_is_one_clear_error(stub, eval_env, tmp_path, cli):
    root = tmp_path / "repo"
    _two_agents(root)
    init_repo(root)
    proc = cli("eval", str(root), "--base", "nope", env=eval_env)
    assert proc.returncode == 2
    assert "--base nope: no such commit" in proc.stderr and "Traceback" not in proc.stderr
