"""A property (issue #12): every repo `validate` calls clean (no errors) deploys, or fails only
for a reason outside the repo (a secret not set in the environment, the lease taken).

Repos are drawn from the shapes people write: bare-string and mapping models, prompt variables
defined by the manifest, by eval sets only or by no one (some guarded), capabilities with and
without tools.json, knowledge relative to the manifest or the root, permissions touching
protected places, both swarm forms. Deploy runs in-process on a local workspace without the
smoke conversation (that is the model's answer: outside the repo).
Memory paths where deploys write (/agents, /knowledge) are drawn too: validate's
`memory-path-overlap` (the bounds work, issue #10) must report them, since deploy refuses them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agentci.deploy.apply import DeployOptions, deploy
from agentci.deploy.backends.registry import open_workspace
from agentci.deploy.desired import load_desired
from agentci.errors import AgentciError
from agentci.findings import Severity
from agentci.repo import load_repo
from agentci.source import WorkTree
from agentci.validate import validate

#: Failures whose cause is outside the repository.
OUTSIDE = ("are not set in the environment", "workspace is locked", "lease")
VARS = ["company", "tone", "channel"]
SAFE_DIRS = ["/drafts", "/logs", "/research", "/inbox"]
DIRS = [*SAFE_DIRS, "/knowledge", "/knowledge/notes", "/agents/x", "/", "/memory"]


def _subset(items: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(items), unique=True, max_size=len(items))


def _choice(
    risky: bool, safe: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Half the repos draw only from the safe choices, so enough come out clean to exercise deploy."""
    return st.one_of(safe, bad) if risky else safe


@st.composite
def agent_files(draw: st.DrawFn, name: str, others: list[str], risky: bool) -> dict[str, str]:
    base = f"agents/{name}"
    used, in_evals = draw(_subset(VARS)), draw(_subset(VARS))
    defined = draw(_choice(risky, st.just(used), _subset(VARS)))
    guarded = draw(st.booleans())
    prompt = f"You are {name}." + "".join(f" {{{{ {v} }}}}" for v in used)
    if guarded:
        prompt += " {% if tone is defined %}Tone: {{ tone }}.{% endif %}"
    spec: dict[str, Any] = {"name": name}
    spec["model"] = draw(
        st.sampled_from(
            [
                "claude-3-5-sonnet",
                "gpt-4o-mini",
                {"provider": "local", "name": "smollm2-135m-instruct"},
            ]
        )
    )
    if defined:
        spec["variables"] = {v: f"{v}-value" for v in defined}
    files: dict[str, str] = {f"{base}/system_prompt.md": prompt + "\n"}
    with_tools = draw(st.booleans())
    # Without tools.json capabilities name workspace tools (unknown ones warn); with it, its tools too.
    safe_caps = (
        ["read_file", "lookup"]
        if with_tools
        else ["read_file", "read_knowledge_base", "draft_email"]
    )
    caps = draw(
        _choice(
            risky,
            _subset(safe_caps),
            _subset(["read_file", "draft_email", "lookup", "search_knowledge"]),
        )
    )
    if caps:
        spec["capabilities"] = caps
    if with_tools:
        spec["tools"] = "tools.json"
        files[f"{base}/tools.json"] = json.dumps(
            [{"name": "lookup", "description": "look up", "inputSchema": {"type": "object"}}]
        )
    knowledge = draw(
        _choice(
            risky, st.sampled_from([None, "../../knowledge", "knowledge", "kb"]), st.just("missing")
        )
    )
    if knowledge:
        spec["knowledge"] = [knowledge]
        if knowledge == "kb" or draw(st.booleans()):
            files[f"{base}/kb/notes.md"] = "# Notes\n"
            files[f"{base}/knowledge/local.md"] = "# Local\n"
    memory = draw(
        _choice(
            risky,
            st.sampled_from([None, f"/memory/{name}.json", f"/mnt/data/{name}.json"]),
            st.sampled_from(
                [
                    *(f"/memory/{o}.json" for o in others),
                    "/knowledge/m.json",
                    f"/agents/{name}/m.json",
                    "/drafts",
                ]
            ),
        )
    )
    if memory:
        spec["memory_path"] = memory
    read = draw(_subset(["/knowledge", "/templates", "/inbox", "/research"]))
    write = draw(_choice(risky, _subset(SAFE_DIRS), _subset(DIRS)))
    if read or write:
        spec["permissions"] = {"read": read, "write": write}
    if draw(st.sampled_from([False, False, True])):
        spec["secrets"] = ["SEED_PROPERTY_KEY_NOT_SET"]
    evals = draw(st.sampled_from(["none", "empty", "cases"]))
    if evals != "none":
        cases = (
            []
            if evals == "empty"
            else [
                {
                    "input": "hi",
                    "vars": {v: "x" for v in in_evals},
                    "assert": [{"type": "icontains", "value": "a"}],
                }
            ]
        )
        files[f"{base}/evals/golden.yaml"] = yaml.safe_dump({"cases": cases})
    files[f"{base}/agent.yaml"] = yaml.safe_dump({"agent": spec}, sort_keys=False)
    return files


@st.composite
def repos(draw: st.DrawFn) -> dict[str, str]:
    risky = draw(st.booleans())
    names = draw(
        st.lists(st.sampled_from(["alpha", "beta", "gamma"]), min_size=1, max_size=3, unique=True)
    )
    files = {
        "knowledge/faq.md": "# FAQ\nOpen 9 to 5.\n",
        "agentci.yaml": "workspace: {backend: local, path: .agentci/workspace, lock_ttl: 5}\n",
    }
    for name in names:
        files.update(draw(agent_files(name, [n for n in names if n != name], risky)))
    form = draw(st.sampled_from(["none", "seed", "roles"]))
    role_agents = _choice(risky, st.sampled_from(names), st.just("ghost"))
    dirs = _choice(risky, st.one_of(st.none(), st.sampled_from(SAFE_DIRS)), st.sampled_from(DIRS))
    if form == "seed":
        entries = draw(
            st.lists(
                st.fixed_dictionaries({"role": role_agents, "input_dir": dirs, "output_dir": dirs}),
                min_size=1,
                max_size=3,
            )
        )
        files["swarm.yaml"] = yaml.safe_dump(
            {"swarm": [{k: v for k, v in e.items() if v} for e in entries]}
        )
    elif form == "roles":
        # agentci's form needs the agent's own permissions to cover the directories: safe repos name none.
        role_dirs = st.sampled_from(DIRS) if risky else st.none()
        entries = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"agent": role_agents, "input_dir": role_dirs, "output_dir": role_dirs}
                ),
                min_size=1,
                max_size=3,
            )
        )
        files["swarm.yaml"] = yaml.safe_dump(
            {
                "roles": [
                    {"name": f"r{i}", **{k: v for k, v in e.items() if v}}
                    for i, e in enumerate(entries)
                ]
            }
        )
    return files


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=repos())
def test_every_repo_validate_calls_clean_deploys(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        findings = validate(load_repo(WorkTree(root)))
        if any(f.severity is Severity.ERROR for f in findings):
            event("validate: errors")
            return  # validate refuses it; deploy refusing it too is the other test's business
        desired = load_desired(root)  # the deploy gate: must agree with validate (no raise here)
        backend = open_workspace(desired.config, root)
        try:
            report = deploy(DeployOptions(root=root, smoke=False), backend, desired)
        except AgentciError as exc:
            assert any(why in exc.message for why in OUTSIDE), (exc.message, files)
            event("validate: clean; deploy: refused for a reason outside the repo")
            return
        finally:
            backend.close()
        assert report.result == "ok", (report.to_json(), files)
        event("validate: clean; deploy: ok")
        for agent in report.agents:
            assert (agent.sync, agent.health) == ("Synced", "Healthy"), (agent.to_json(), files)
