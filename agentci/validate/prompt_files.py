"""GitHub Models `*.prompt.yml` eval sets: what `agentci eval` would refuse (an unknown evaluator,
`messages` not a list, ...) reported as findings with file and line.

The mapping itself is agentci.eval.prompt_yml's; this module only runs it early.
"""

from __future__ import annotations

from agentci.eval.cases import PROMPT_YML
from agentci.findings import Finding, error
from agentci.validate.context import Context


def check(ctx: Context) -> list[Finding]:
    from agentci.eval.prompt_yml import PromptFileError, to_eval_set

    out: list[Finding] = []
    seen: set[str] = set()
    for agent in ctx.repo.agents:
        for path in agent.evals:
            doc = ctx.repo.documents.get(path)
            if path in seen or not path.endswith(PROMPT_YML) or doc is None or doc.data is None:
                continue
            seen.add(path)
            try:
                to_eval_set(doc)
            except PromptFileError as exc:
                out.append(
                    error(
                        "prompt-file",
                        path,
                        exc.line,
                        exc.problem,
                        exc.hint or "see https://docs.github.com/en/github-models (prompt files)",
                    )
                )
    return out
