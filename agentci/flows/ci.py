"""`ci()`: the flow for the event that triggered the workflow.

pull_request / merge_group / another branch's push / no event (a laptop) → `pr()`; push to
the default branch → `merge()`; schedule / workflow_dispatch → `scheduled()`; a tag push or
a deleted ref → nothing; a pull_request action that is not a code change → validation only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agentci.errors import EXIT_FAIL, EXIT_OK
from agentci.flows.merge import merge
from agentci.flows.pr import PrOptions, pr
from agentci.flows.run import Run, say
from agentci.flows.scheduled import scheduled
from agentci.flows.validate import validate
from agentci.github.event import PR_ACTIONS


@dataclass
class CiOptions:
    pr: PrOptions = field(default_factory=PrOptions)
    #: pull_request actions that evaluate; others only validate
    pr_actions: tuple[str, ...] = PR_ACTIONS


def ci(run: Run, opts: CiOptions) -> int:
    event = run.event
    if event is not None and event.is_tag_or_deletion:
        say(
            f"event {event.name} ({event.ref or event.payload.get('ref') or '?'}): a tag or a deleted ref, nothing to do"
        )
        return EXIT_OK
    if event is not None and event.is_pr and event.action and event.action not in opts.pr_actions:
        say(
            f"pull_request action {event.action!r}: not one that evaluates ({','.join(opts.pr_actions)}); validating only"
        )
        return EXIT_FAIL if validate(run).errors else EXIT_OK
    if event is None or event.is_pr or event.is_merge_group:
        return pr(run, opts.pr)
    if event.is_default_branch_push:
        return merge(run, opts.pr.templates)
    if event.name in ("workflow_dispatch", "schedule"):
        return scheduled(run)
    if event.name == "push":  # another branch: evaluate, report in the summary, no deploy
        return pr(run, opts.pr)
    say(f"event {event.name}: nothing to do beyond validation")
    return EXIT_FAIL if validate(run).errors else EXIT_OK
