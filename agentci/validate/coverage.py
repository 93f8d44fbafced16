"""What eval and deploy will have to work with: agents at all, eval sets per agent, cases per set.

Each is a warning, not an error: a repo may be young. But a run that evaluates nothing is not
a pass, and `agentci deploy` refuses a repo with no agents, so validate says so first.
"""

from __future__ import annotations

from agentci.config import CONFIG_FILE
from agentci.eval.cases import PROMPT_YML
from agentci.findings import Finding, warning
from agentci.validate.context import Context


def check(ctx: Context) -> list[Finding]:
    repo = ctx.repo
    out: list[Finding] = []
    if not repo.agents:
        config = repo.documents.get(CONFIG_FILE)
        globs = ", ".join(repo.config.agents) or "(none)"
        out.append(
            warning(
                "no-agents",
                CONFIG_FILE if config else ".",
                config.line_of(["agents"]) if config else 0,
                f"no agents found (agent globs: {globs}): `agentci eval` has nothing to evaluate and "
                "`agentci deploy` refuses a repo with no agents",
                "add agents/<name>/agent.yaml, or fix the `agents:` globs in agentci.yaml",
            )
        )
    seen: set[str] = set()
    for agent in repo.agents:
        doc = repo.documents[agent.manifest]
        if not agent.evals:
            out.append(
                warning(
                    "no-evals",
                    agent.manifest,
                    doc.line_of(["agent", "evals"]),
                    f"agent {agent.name!r} has no eval sets: a change to it is merged and deployed unevaluated",
                    f"add {agent.dir + '/' if agent.dir else ''}evals/golden.yaml with `cases:` (input and assert)",
                )
            )
        for path in agent.evals:
            set_doc = repo.documents.get(path)
            if (
                path in seen
                or set_doc is None
                or path.endswith(PROMPT_YML)
                or not isinstance(set_doc.data, dict)
            ):
                continue
            seen.add(path)
            cases = set_doc.data.get("cases")
            if isinstance(cases, list) and not cases:
                out.append(
                    warning(
                        "eval-no-cases",
                        path,
                        set_doc.line_of(["cases"]),
                        f"eval set {path} has no cases: it evaluates nothing",
                        "add cases (input and assert), or remove the file",
                    )
                )
    return out
