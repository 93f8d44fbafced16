"""The scheduled flow (schedule, workflow_dispatch): validate → drift check, in the summary."""

from __future__ import annotations

from agentci.errors import EXIT_FAIL, EXIT_OK
from agentci.flows.deploy import environment
from agentci.flows.drift import drift
from agentci.flows.run import Run, contained, say
from agentci.flows.validate import validate


def scheduled(run: Run) -> int:
    from agentci import safe_text
    from agentci.github import gha

    errors = validate(run).errors
    done, rc = contained(lambda: drift(run, environment=environment()))
    if done is not None:
        rc = EXIT_OK if done.in_sync else EXIT_FAIL
    out = done.text if done is not None else ""
    if out:
        gha.print_untrusted(out)
    verdict = {0: "in sync", 1: "drift"}.get(rc, "error")
    run.outputs.summary(
        f"### agentci drift check: {verdict}\n\n{safe_text.md_block(out, 60_000)}\n"
    )
    run.outputs.set({"verdict": "pass" if rc == EXIT_OK and not errors else "fail"})
    say(f"diff: {verdict}")
    return rc if rc else (EXIT_FAIL if errors else EXIT_OK)
