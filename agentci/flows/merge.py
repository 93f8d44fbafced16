"""The merge flow (a push to the default branch): validate → deploy → status written back."""

from __future__ import annotations

from agentci.errors import EXIT_FAIL, EXIT_OK
from agentci.flows.deploy import DeployRequest, deploy, environment, summary_section
from agentci.flows.run import Run, contained, say
from agentci.flows.validate import validate


def merge(run: Run, templates: str | None = None) -> int:
    from agentci.github import gha

    if validate(run).errors:
        say("deploy: not started: validation found errors")
        run.outputs.set({"verdict": "fail"})
        return EXIT_FAIL
    head = run.git("rev-parse", "HEAD") or (run.event.sha if run.event else "")
    # ^ before the deploy: a status write-back may commit
    done, rc = contained(lambda: deploy(run, DeployRequest(environment=environment())))
    if done is not None:
        rc = done.exit_code
        text = summary_section(done, templates, run.event.run_url if run.event else None)
        run.outputs.summary(text)
        gha.print_untrusted(text)
    sha = str((done.data.get("commit") if done else None) or head)
    run.outputs.set(
        {
            "verdict": "pass" if rc == EXIT_OK else "fail",
            "deployed-sha": sha if rc == EXIT_OK else "",
        }
    )
    say(f"deploy: {'done' if rc == EXIT_OK else 'failed'} ({sha[:12]})")
    return rc
