"""`agentci eval` as a subprocess: gate exit codes, missing keys, JUnit, JSON on stdout."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from tests.eval.conftest import simple_cases
from tests.published_schemas import check_junit

HALF = simple_cases(2).replace("question 1 ", "question 1 [[reply:no idea]]")


def test_gate_exit_codes(stub, eval_env, agent_repo, cli, tmp_path):
    root = agent_repo(cases=HALF, config="eval: {gate: {min_pass_rate: 0.4}}\n")
    ok = cli("eval", str(root), env=eval_env)
    assert ok.returncode == 0, ok.stderr
    assert "2 cases: 1 passed, 1 failed" in ok.stdout
    data = json.loads((root / ".agentci" / "results.json").read_text())
    assert data["gate"] == {
        "passed": True,
        "verdict": "pass",
        "reasons": [],
        "min_pass_rate": 0.4,
        "max_regressions": 0,
    }

    outputs = tmp_path / "github_output"
    outputs.write_text("")
    env = {**eval_env, "GITHUB_OUTPUT": str(outputs)}  # the action's outputs for `command: eval`
    bad = cli(
        "eval", str(root), "--min-pass-rate", "0.8", env=env
    )  # the flag overrides agentci.yaml
    assert bad.returncode == 1
    assert outputs.read_text() == "pass-rate=0.5000\nregressions=0\nverdict=fail\n"
    assert bad.stderr.strip().splitlines()[-1] == "agentci: gate failed: pass rate 0.50 < min 0.80"

    usage = cli("eval", str(root), "--shard", "3/2", env=eval_env)
    assert usage.returncode == 2 and "--shard '3/2'" in usage.stderr


def test_json_format_and_junit(stub, eval_env, agent_repo, cli, tmp_path):
    root = agent_repo(
        cases=HALF + "  - id: broken\n    input: x [[fault:500]]\n", config="eval: {retries: 0}\n"
    )
    out, junit = tmp_path / "r.json", tmp_path / "junit.xml"
    proc = cli(
        "eval",
        str(root),
        "--format",
        "json",
        "--output",
        str(out),
        "--junit",
        str(junit),
        env=eval_env,
    )
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data == json.loads(out.read_text())
    assert data["totals"]["cases"] == 3 and data["totals"]["errors"] == 1
    suites = ET.parse(junit).getroot()
    assert (
        suites.get("tests") == "3" and suites.get("failures") == "1" and suites.get("errors") == "1"
    )
    case = suites.find("testsuite/testcase[@name='c01']")
    assert case is not None and case.find("failure") is not None
    assert "no idea" in (case.find("failure").text or "")
    # One JUnit writer: `report --format junit` on the same results writes the same XML,
    # and both follow the published junit-10.xsd.
    check_junit(junit.read_bytes())
    report = cli("report", "--results", str(out), "--format", "junit", env=eval_env)
    assert report.returncode == 0, report.stderr
    assert report.stdout == junit.read_text()


def test_missing_key_is_one_clear_line(stub, eval_env, agent_repo, cli):
    root = agent_repo(cases=simple_cases(1))
    env = {k: v for k, v in eval_env.items() if k != "OPENAI_API_KEY"}
    proc = cli("eval", str(root), env=env)
    assert proc.returncode == 2
    first = proc.stderr.strip().splitlines()[0]
    assert (
        first == "agentci: error: the openai provider needs an API key: OPENAI_API_KEY is not set"
    )
    assert "Traceback" not in proc.stderr
    assert stub.stats() == {}

    skipped = cli("eval", str(root), "--skip-missing-keys", "--format", "json", env=env)
    # Nothing that needed evaluating was evaluated: neutral, which is not a pass.
    assert skipped.returncode == 1, skipped.stderr
    data = json.loads(skipped.stdout)
    agent = data["agents"][0]
    assert "OPENAI_API_KEY is not set" in agent["skipped"]
    assert agent["totals"]["skipped"] == 1 and agent["pass_rate"] is None
    assert data["gate"]["verdict"] == "neutral" and data["gate"]["passed"] is False
    assert "gate neutral (not a pass)" in skipped.stderr


def test_model_output_cannot_inject_terminal_escapes(stub, eval_env, agent_repo, cli):
    root = agent_repo(prompt="ANSWER: \x1b[31mred\x1b]0;title\x07\n", cases=simple_cases(1))
    proc = cli("eval", str(root), env=eval_env)
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout


def test_pr_authored_case_id_cannot_issue_workflow_commands(stub, eval_env, agent_repo, cli):
    # A case id is PR-authored text: printed raw, a newline in it would start a `::error::`
    # (or any) workflow command in the Actions log, and ESC would drive the terminal.
    cases = (
        'cases:\n  - id: "c1\\n::error::injected\\e[31m"\n    input: "question [[reply:no]]"\n'
        '    assert: [{type: icontains, value: "yes"}]\n'
    )
    root = agent_repo(cases=cases)
    manifest = next(root.glob("agents/*/agent.yaml"))
    text = manifest.read_text()
    name = text.split("name: ", 1)[1].split("\n", 1)[0]
    manifest.write_text(text.replace(f"name: {name}", f'name: "{name}\\n::warning::named"', 1))
    proc = cli("eval", str(root), env=eval_env)
    assert proc.returncode == 1, proc.stderr
    assert "injected" in proc.stdout and "named" in proc.stderr  # shown, on the FAIL line
    for line in (proc.stdout + proc.stderr).splitlines():
        assert not line.startswith("::"), line
    assert "\x1b" not in proc.stdout + proc.stderr


def test_unwritable_output_is_a_usage_error_before_any_model_call(
    stub, eval_env, agent_repo, cli, tmp_path
):
    root = agent_repo(cases=simple_cases(1))
    for flag in ("--output", "--junit"):
        proc = cli("eval", str(root), flag, str(tmp_path), env=eval_env)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.splitlines()[0] == f"agentci: error: {flag} {tmp_path}: is a directory"
    blocked = tmp_path / "file"
    blocked.write_text("")
    proc = cli("eval", str(root), "--output", str(blocked / "r.json"), env=eval_env)
    assert proc.returncode == 2 and proc.stderr.startswith(
        f"agentci: error: --output {blocked / 'r.json'}: cannot create"
    )
    assert stub.stats() == {}  # refused before the run, not after it


def test_missing_eval_set_fails_the_gate_instead_of_passing_with_zero_cases(
    stub, eval_env, agent_repo, cli
):
    root = agent_repo(cases=simple_cases(1))
    (root / "agents/bot/evals/golden.yaml").unlink()
    proc = cli("eval", str(root), "--format", "json", env=eval_env)
    assert proc.returncode == 1, proc.stderr
    (case,) = json.loads(proc.stdout)["agents"][0]["cases"]
    assert case["status"] == "error" and "'evals/golden.yaml' does not exist" in case["error"]


def test_an_assertion_that_cannot_run_keeps_the_others_results(
    stub, eval_env, agent_repo, cli, tmp_path
):
    # The judge points at a closed port: llm-rubric cannot run, icontains still can.
    cases = (
        "cases:\n  - id: mixed\n    input: refunds?\n"
        '    assert: [{type: icontains, value: "30 days"}, {type: llm-rubric, value: "Polite"}]\n'
    )
    root = agent_repo(
        cases=cases,
        config='eval:\n  retries: 0\n  judge: {provider: openai, name: j, base_url: "http://127.0.0.1:9/v1"}\n',
    )
    out = tmp_path / "r.json"
    proc = cli("eval", str(root), "--output", str(out), env=eval_env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    case = json.loads(out.read_text())["agents"][0]["cases"][0]
    assert case["status"] == "error"
    assert case["error"].startswith("an assertion could not run:")
    first, second = case["assertions"]
    assert (first["type"], first["passed"]) == ("icontains", True)
    assert (
        second["type"] == "llm-rubric"
        and not second["passed"]
        and second["reason"].startswith("could not run:")
    )
