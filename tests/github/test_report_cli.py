"""The real CLI as a subprocess against the GitHub stand-in."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli
from tests.github.conftest import actions_env, pr_event
from tests.report.conftest import FIXTURES, HOSTILE
from tests.servers.github_stub import GitHubStub


def _fixture(tmp_path: Path, name: str) -> str:
    """A copy outside the committed tree: in Actions, report refuses committed results files."""
    dest = tmp_path / "in" / name
    dest.parent.mkdir(exist_ok=True)
    shutil.copy(FIXTURES / name, dest)
    return str(dest)


def _outputs(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        if "<<" in lines[i]:
            key, delim = lines[i].split("<<", 1)
            end = lines.index(delim, i + 1)
            out[key] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            key, _, value = lines[i].partition("=")
            out[key] = value
            i += 1
    return out


def test_report_prints_the_comment_locally(tmp_path: Path) -> None:
    results = _fixture(tmp_path, "two_agents.json")
    proc = run_cli("report", "--results", results, "--format", "markdown", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("<!-- agentci:agentci -->") and "Regressions" in proc.stdout
    # Without --format, a person at a terminal (or outside Actions) gets the text report.
    plain = run_cli("report", "--results", results, cwd=tmp_path)
    assert plain.stdout.startswith("agentci: FAIL") and "Regressions" in plain.stdout


def test_report_post_twice_edits_one_comment(stub: GitHubStub, tmp_path: Path) -> None:
    results = tmp_path / "r" / "results.json"
    results.parent.mkdir()
    shutil.copy(FIXTURES / "two_agents.json", results)
    env = actions_env(stub, tmp_path, pr_event(tmp_path))
    first = run_cli("report", "--results", str(results), "--post", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    data = json.loads(results.read_text())
    data["agents"][0]["cases"][0]["output"] = "a different answer"
    results.write_text(json.dumps(data))
    second = run_cli("report", "--results", str(results), "--post", cwd=tmp_path, env=env)
    third = run_cli("report", "--results", str(results), "--post", cwd=tmp_path, env=env)
    assert second.returncode == third.returncode == 0
    comments = stub.comments_on(7)
    assert len(comments) == 1 and "a different answer" in comments[0]["body"]
    assert len(stub.calls("POST", r"/comments$")) == 1
    assert len(stub.calls("PATCH", r"/comments/")) == 1  # the third run changed nothing
    assert [s["state"] for s in stub.state.statuses] == ["failure"] * 3
    assert stub.state.statuses[0]["target_url"] == "https://github.com/octo/app/actions/runs/99"
    outputs = _outputs(tmp_path / "out")
    assert (
        outputs["verdict"] == "fail"
        and outputs["regressions"] == "1"
        and outputs["pass-rate"] == "0.6667"
    )
    assert Path(outputs["report-path"]).read_text().startswith("## agentci · ❌ **failed**")
    assert "::stop-commands::" in first.stdout


def test_fork_pr_comment_degrades_to_the_summary(stub: GitHubStub, tmp_path: Path) -> None:
    stub.fail["POST comments"] = 403
    stub.fail["POST statuses"] = 403
    env = actions_env(stub, tmp_path, pr_event(tmp_path, fork=True))
    proc = run_cli(
        "report", "--results", _fixture(tmp_path, "hostile.json"), "--post", cwd=tmp_path, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "PR comment not posted" in proc.stderr and "403" in proc.stderr
    summary = (tmp_path / "summary").read_text()
    assert summary.startswith("> **agentci could not post the PR comment**")
    assert "Regressions" in summary and HOSTILE not in summary and "&lt;img" in summary
    assert stub.comments_on(7) == []


def test_annotations_capped_and_rest_in_summary(stub: GitHubStub, tmp_path: Path) -> None:
    findings = tmp_path / "findings.json"
    findings.write_text(
        json.dumps(
            {
                "findings": [
                    {
                        "rule": "schema",
                        "severity": "error",
                        "path": f"agents/a{i}/agent.yaml",
                        "line": i + 1,
                        "message": f"problem {i}",
                        "hint": "",
                    }
                    for i in range(13)
                ]
            }
        )
    )
    env = actions_env(stub, tmp_path, pr_event(tmp_path))
    proc = run_cli(
        "report",
        "--results",
        _fixture(tmp_path, "one_agent_pass.json"),
        "--findings",
        str(findings),
        "--post",
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("::error file=") == 10
    summary = (tmp_path / "summary").read_text()
    assert "More annotations" in summary and "problem 12" in summary and "problem 9" in summary


def test_merge_joins_shards(tmp_path: Path, cli: Callable[..., object]) -> None:
    data = json.loads((FIXTURES / "one_agent_pass.json").read_text())
    a, b = json.loads(json.dumps(data)), json.loads(json.dumps(data))
    a["agents"][0]["cases"] = data["agents"][0]["cases"][:2]
    b["agents"][0]["cases"] = data["agents"][0]["cases"][2:]
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    no_merge = run_cli("report", "--results", "a.json", "--results", "b.json", cwd=tmp_path)
    assert no_merge.returncode == 2 and "--merge" in no_merge.stderr
    proc = run_cli(
        "report",
        "--results",
        "a.json",
        "--results",
        "b.json",
        "--merge",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    merged = json.loads(proc.stdout)
    assert sorted(c["id"] for c in merged["agents"][0]["cases"]) == sorted(
        c["id"] for c in data["agents"][0]["cases"]
    )
    assert merged["shard"] is None


def test_output_to_a_directory_is_one_clear_line(tmp_path: Path) -> None:
    text = (FIXTURES / "one_agent_pass.json").read_text()
    (tmp_path / "r.json").write_text(text)
    proc = run_cli("report", "--results", "r.json", "-o", str(tmp_path), cwd=tmp_path)
    assert (
        proc.returncode == 2
        and "Traceback" not in proc.stderr
        and "internal error" not in proc.stderr
    )
    assert proc.stderr.startswith(f"agentci: error: --output {tmp_path}: cannot write")


def test_missing_findings_file_hint_names_validate(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text((FIXTURES / "one_agent_pass.json").read_text())
    proc = run_cli("report", "--results", "r.json", "--findings", "nope.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "agentci: error: nope.json: findings file not found",
        "  hint: write it with `agentci validate --format json > PATH`",
    ]
