"""validate knows what eval and deploy will refuse (issue #12): each finding on a real repo,
and deploy refusing exactly what validate reports (real CLI, real git)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from agentci.findings import Severity
from tests.conftest import init_repo, run_cli
from tests.validate.conftest import BASE, check

Make = Callable[..., Path]
MANIFEST = BASE["agents/bot/agent.yaml"]


def by_rule(findings, rule):  # type: ignore[no-untyped-def]
    return [f for f in findings if f.rule == rule]


# -- prompt variables: the deployed prompt is rendered with agent.variables alone ---------------


def test_a_variable_only_eval_sets_define_is_an_error_for_deploy(make_repo: Make) -> None:
    root = make_repo(
        {
            "agents/bot/system_prompt.md": "You help {{ company }}.\n{% if channel == 'chat' %}Say hi.{% endif %}\n",
            "agents/bot/evals/golden.yaml": "defaults: {vars: {channel: email}}\ncases: [{input: hi, assert: [{type: icontains, value: a}]}]\n",
        }
    )
    [f] = check(root)
    assert (f.rule, f.severity, f.path, f.line) == (
        "prompt-variable-eval-only",
        Severity.ERROR,
        "agents/bot/system_prompt.md",
        2,
    )
    assert "{{ channel }}" in f.message and "deploy" in f.message
    assert "agent.variables in agents/bot/agent.yaml" in f.hint


def test_a_variable_no_one_defines_stays_prompt_undefined_variable(make_repo: Make) -> None:
    [f] = check(
        make_repo({"agents/bot/system_prompt.md": "You help {{ company }} in {{ region }}.\n"})
    )
    assert (f.rule, f.line) == ("prompt-undefined-variable", 1) and "region" in f.message


def test_a_guarded_variable_is_no_finding(make_repo: Make) -> None:
    """`{% if x is defined %}` renders without x: deploy renders it fine, so validate is quiet."""
    root = make_repo(
        {
            "agents/bot/system_prompt.md": "You help {{ company }}.{% if tone is defined %} Be {{ tone }}.{% endif %}\n"
        }
    )
    assert check(root) == []


def test_a_prompt_that_does_not_render_with_the_manifest_values_is_an_error(
    make_repo: Make,
) -> None:
    root = make_repo({"agents/bot/system_prompt.md": "You help {{ company.name }}.\n"})
    [f] = check(root)
    assert f.rule == "prompt-render" and f.severity is Severity.ERROR and "name" in f.message


# -- coverage: what eval has to work with --------------------------------------------------------


def test_no_agents_no_evals_and_no_cases_are_warnings(make_repo: Make) -> None:
    empty = make_repo({"agentci.yaml": "agents: [bots/*.yaml]\n"}, base=False)
    [f] = check(empty)
    assert (f.rule, f.severity, f.path, f.line) == (
        "no-agents",
        Severity.WARNING,
        "agentci.yaml",
        1,
    )
    assert "bots/*.yaml" in f.message and "deploy" in f.message

    root = make_repo(
        {
            "agents/bot/agent.yaml": MANIFEST.replace("  evals: [evals/golden.yaml]\n", ""),
            "agents/bot/evals/golden.yaml": None,
            "agents/two/agent.yaml": "agent:\n  name: two\n  evals: [evals/empty.yaml, evals/empty.jsonl]\n",
            "agents/two/system_prompt.md": "Hi.\n",
            "agents/two/evals/empty.yaml": "description: nothing yet\ncases: []\n",
            "agents/two/evals/empty.jsonl": "",
        }
    )
    got = {(f.rule, f.severity, f.path, f.line) for f in check(root)}
    assert got == {
        ("no-evals", Severity.WARNING, "agents/bot/agent.yaml", 1),
        ("eval-no-cases", Severity.WARNING, "agents/two/evals/empty.yaml", 2),
        ("eval-no-cases", Severity.WARNING, "agents/two/evals/empty.jsonl", 1),
    }


# -- GitHub Models prompt files --------------------------------------------------------------------


def test_prompt_yml_problems_are_findings_with_file_and_line(make_repo: Make) -> None:
    root = make_repo(
        {
            "agents/bot/agent.yaml": MANIFEST.replace(
                "[evals/golden.yaml]", "[evals/a.prompt.yml, evals/b.prompt.yml]"
            ),
            "agents/bot/evals/a.prompt.yml": """\
            messages:
              - {role: user, content: "{{input}}"}
            testData:
              - {input: hi}
            evaluators:
              - name: judge
                uses: github/telepathy
            """,
            "agents/bot/evals/b.prompt.yml": "messages: just a string\n",
        }
    )
    got = {(f.rule, f.path, f.line) for f in check(root)}
    assert got == {
        ("prompt-file", "agents/bot/evals/a.prompt.yml", 7),
        ("prompt-file", "agents/bot/evals/b.prompt.yml", 1),
    }
    [unknown] = [f for f in check(root) if f.path.endswith("a.prompt.yml")]
    assert "github/telepathy" in unknown.message and "github/similarity" in unknown.hint


# -- knowledge paths: relative to the manifest if that exists, else to the repository root ---------


def test_knowledge_relative_to_the_repository_root_as_spec_writes_it(make_repo: Make) -> None:
    root = make_repo(
        {"agents/bot/agent.yaml": MANIFEST.replace("[../../knowledge]", "[knowledge]")}
    )
    assert check(root) == []


def test_knowledge_in_both_places_warns_and_uses_the_manifests(make_repo: Make) -> None:
    root = make_repo(
        {
            "agents/bot/agent.yaml": MANIFEST.replace("[../../knowledge]", "[knowledge]"),
            "agents/bot/knowledge/local.md": "# Local\n",
        }
    )
    [f] = check(root)
    assert (f.rule, f.severity, f.line) == ("knowledge-ambiguous", Severity.WARNING, 8)
    assert "agents/bot/knowledge" in f.message and "using agents/bot/knowledge" in f.message
    assert "'../../knowledge'" in f.hint


def test_missing_knowledge_names_both_places(make_repo: Make) -> None:
    root = make_repo(
        {"agents/bot/agent.yaml": MANIFEST.replace("[../../knowledge]", "[kb/support]")}
    )
    [f] = check(root)
    assert (f.rule, f.line) == ("missing-file", 8)
    assert "agents/bot/kb/support (next to the manifest)" in f.message
    assert "kb/support (from the repository root)" in f.message


def test_knowledge_escaping_from_the_manifest_is_still_path_escape(make_repo: Make) -> None:
    root = make_repo(
        {"agents/bot/agent.yaml": MANIFEST.replace("[../../knowledge]", "[../../../etc]")}
    )
    [f] = check(root)
    assert f.rule == "path-escape" and f.line == 8


# -- one gate: deploy refuses what validate reports, with the same findings -----------------------


def test_deploy_refuses_exactly_what_validate_reports(make_repo: Make, tmp_path: Path) -> None:
    root = make_repo(
        {
            "agentci.yaml": "workspace: {backend: local, path: .agentci/workspace}\n",
            "agents/bot/system_prompt.md": "You help {{ company }} via {{ channel }}.\n",
            "agents/bot/evals/golden.yaml": "cases: [{input: hi, vars: {channel: chat}, assert: [{type: icontains, value: a}]}]\n",
            ".gitignore": ".agentci/\n",
        }
    )
    init_repo(root)
    val = run_cli("validate", str(root), "--format", "json")
    assert val.returncode == 1
    [finding] = json.loads(val.stdout)["findings"]
    dep = run_cli("deploy", str(root), "--no-smoke", "--no-writeback")
    assert dep.returncode == 1 and "Traceback" not in dep.stderr
    assert (
        f"{finding['path']}:{finding['line']}: {finding['message']} [{finding['rule']}]"
        in dep.stderr
    )
    assert "nothing was changed" in dep.stderr and "--force" not in dep.stderr
    assert not (root / ".agentci/workspace").exists()
    forced = run_cli("deploy", str(root), "--no-smoke", "--no-writeback", "--force")
    assert forced.returncode == 1  # --force re-sends files; it does not bypass validation

    # `ignore:` in agentci.yaml is the one switch, and it is the same for both commands.
    (root / "agentci.yaml").write_text(
        "workspace: {backend: local, path: .agentci/workspace}\n"
        "ignore: [prompt-variable-eval-only]\n"
    )
    init_repo(root, "ignore")  # a second commit on top (init_repo is add + commit)
    assert run_cli("validate", str(root)).returncode == 0
    dep = run_cli("deploy", str(root), "--no-smoke", "--no-writeback")
    # Now the renderer itself stops it: the same failure validate exists to warn about.
    assert dep.returncode != 0 and "channel" in dep.stderr
