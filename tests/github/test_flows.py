"""The flows layer (issue #11): `agentci ci` runs validate → eval → report as library calls on
one repo load, writes each Action output once, and gives each step one job-summary section."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml

from agentci import repo as repo_module
from agentci.flows.ci import CiOptions, ci
from agentci.flows.pr import PrOptions
from agentci.flows.run import Run
from agentci.github import gha
from tests.conftest import ROOT, commit_all, git, init_repo, run_cli
from tests.github.conftest import REPO, TOKEN, actions_env, pr_event
from tests.github.test_events import CASES, MANIFEST
from tests.servers.github_stub import GitHubStub
from tests.servers.openai_stub import Stub


def many_agents(root: Path, n: int) -> tuple[str, str]:
    """n agents on the OpenAI stand-in; the head commit makes agent bot-1 regress."""
    for i in range(n):
        d = root / "agents" / f"bot-{i}"
        (d / "evals").mkdir(parents=True)
        (d / "agent.yaml").write_text(MANIFEST.replace("name: bot", f"name: bot-{i}"))
        (d / "system_prompt.md").write_text("ANSWER: within 30 days\n")
        (d / "evals/golden.yaml").write_text(CASES)
    base = init_repo(root)
    (root / "agents/bot-1/system_prompt.md").write_text("ANSWER: no idea\n")
    return base, commit_all(root, "worse")


class Calls:
    """Counts calls of chosen functions by watching frames (sys.setprofile): nothing patched."""

    def __init__(self, *functions: Callable[..., Any]) -> None:
        self.codes = {f.__code__: f.__name__ for f in functions}
        self.count: Counter[str] = Counter()
        self.args: list[tuple[str, dict[str, Any]]] = []

    def __enter__(self) -> Calls:
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(None)

    def _hook(self, frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code in self.codes:
            name = self.codes[frame.f_code]
            self.count[name] += 1
            self.args.append((name, dict(frame.f_locals)))


def test_local_pr_flow_loads_the_repo_once_and_reads_base_sets_only_where_compared(
    tmp_path: Path, model: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    many_agents(root, 6)
    git(root, "branch", "-f", "main-base", "HEAD~1")
    for var in ("GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", model.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    run = Run.open(root)
    with Calls(repo_module.load_repo, repo_module._load_eval_set) as calls:
        rc = ci(run, CiOptions(pr=PrOptions(base="main-base")))
        run.finish()
    assert rc == 1  # bot-1 regressed
    # Once for the work tree (validate, eval and report share it), once for the merge base.
    assert calls.count["load_repo"] == 2, calls.count
    base_sets = [
        a["path"]
        for name, a in calls.args
        if name == "_load_eval_set" and "git" in a["repo"].source.label
    ]
    assert base_sets == ["agents/bot-1/evals/golden.yaml"]  # only the changed agent's, at the base
    results = json.loads((root / ".agentci/results.json").read_text())
    assert [a["name"] for a in results["agents"] if not a["skipped"]] == ["bot-1"]
    assert results["totals"]["regressions"] == 1
    assert model.stats()["completions"] == 2  # head and base of the one changed case


def test_pr_flow_writes_each_output_once_and_one_summary_section(
    tmp_path: Path, model: Stub
) -> None:
    with GitHubStub(REPO, TOKEN, prefix="/api/v3") as gh:
        root = tmp_path / "repo"
        base, head = many_agents(root, 2)
        env = actions_env(gh, tmp_path, pr_event(tmp_path, base_sha=base, head_sha=head))
        env.update({"OPENAI_BASE_URL": model.url, "OPENAI_API_KEY": "sk-test"})
        proc = run_cli("ci", ".", cwd=root, env=env, timeout=120)
        assert proc.returncode == 1, proc.stdout + proc.stderr
    names = [line.split("=", 1)[0] for line in (tmp_path / "out").read_text().splitlines()]
    assert sorted(names) == sorted(
        ["pass-rate", "regressions", "verdict", "report-path", "comment-path"]
    )
    assert "verdict=fail" in (tmp_path / "out").read_text()
    summary = (tmp_path / "summary").read_text()
    assert summary.count("<!-- agentci:agentci -->") <= 1
    assert "bot-1" in summary


def test_merge_flow_writes_one_deploy_section(
    tmp_path: Path, example_repo: Callable[[str], Path]
) -> None:
    repo = example_repo("support-bot")
    head = git(repo, "rev-parse", "HEAD")
    event = tmp_path / "push.json"
    event.write_text(
        json.dumps(
            {
                "ref": "refs/heads/main",
                "after": head,
                "repository": {"full_name": REPO, "default_branch": "main"},
            }
        )
    )
    (tmp_path / "out").write_text("")
    (tmp_path / "summary").write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": head,
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    proc = run_cli("ci", cwd=repo, env=env, timeout=240)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    summary = (tmp_path / "summary").read_text()
    assert summary.count("### agentci deploy") == 1, summary
    names = [line.split("=", 1)[0] for line in (tmp_path / "out").read_text().splitlines()]
    assert sorted(names) == ["deployed-sha", "verdict"]


def test_every_output_is_declared_in_action_yml(tmp_path: Path) -> None:
    declared = yaml.safe_load((ROOT / "action.yml").read_text())["outputs"]
    assert set(gha.OUTPUTS) == set(declared)
    outputs = gha.Outputs({"GITHUB_OUTPUT": str(tmp_path / "out")})
    with pytest.raises(ValueError, match=r"not declared in action\.yml"):
        outputs.set({"pass_rate": 1})


def test_outputs_are_written_once_with_the_last_value(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("")
    env = {"GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "sum")}
    outputs = gha.Outputs(env)
    outputs.set({"verdict": "pass", "regressions": 0})
    outputs.set({"verdict": "fail"})
    outputs.summary("### one\n")
    assert (tmp_path / "out").read_text() == "" and not (tmp_path / "sum").exists()
    assert outputs.write()
    outputs.write()  # nothing new: nothing written twice
    assert (tmp_path / "out").read_text() == "verdict=fail\nregressions=0\n"
    assert (tmp_path / "sum").read_text() == "### one\n"


def test_deploy_command_writes_its_sha_and_one_summary_section(
    tmp_path: Path, example_repo: Callable[[str], Path]
) -> None:
    repo = example_repo("support-bot")
    head = git(repo, "rev-parse", "HEAD")
    (tmp_path / "out").write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    proc = run_cli("deploy", "--no-writeback", cwd=repo, env=env, timeout=240)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert (tmp_path / "out").read_text() == f"deployed-sha={head}\n"
    summary = (tmp_path / "summary").read_text()
    assert (
        summary.count("### agentci deploy") == 1
        and "| `support-bot` | Synced | Healthy |" in summary
    )
