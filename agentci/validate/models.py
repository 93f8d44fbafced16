"""Model parameters the model will not take as written: said once, before any call.

`temperature: 0.2` on `o4-mini`, `max_tokens` on a reasoning model, `temperature` with
`top_p` on Claude Sonnet 4.5: the eval adapts (agentci.eval.providers.families), and this
check names the parameter and the model so the manifest can say what is really sent.
"""

from __future__ import annotations

from agentci.eval.providers import families
from agentci.findings import Finding, warning
from agentci.validate.context import Context


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for agent in ctx.repo.agents:
        spec = agent.model
        doc = ctx.repo.documents.get(agent.manifest)
        for adj in families.adjustments(spec.provider, spec.name, dict(spec.params)):
            line = doc.line_of(["agent", "model", adj.param]) if doc else 1
            out.append(
                warning(
                    "model-param",
                    agent.manifest,
                    line,
                    adj.message(),
                    f"remove `{adj.param}` from agent.model (or set what the model takes) "
                    "so the manifest says what is sent",
                )
            )
    return out
