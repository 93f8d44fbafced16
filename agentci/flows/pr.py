"""The pull-request flow: validate → evaluate the changed agents at head and merge base →
report → gate. Also what runs for the merge queue, pushes to other branches, and locally
(`agentci ci`, with --base REF to reproduce the PR gate before pushing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agentci import git
from agentci.errors import EXIT_FAIL, EXIT_OK, EXIT_USAGE, UsageError
from agentci.flows.evaluate import EvalRequest, evaluate
from agentci.flows.report import ReportRequest, build, show
from agentci.flows.run import Run, contained, say
from agentci.flows.validate import Validation, validate

if TYPE_CHECKING:
    from agentci.report.model import Report

#: --fail-on-regression false: no number of regressions fails the gate
NEVER = 10**9


@dataclass
class PrOptions:
    provider: str | None = None
    min_pass_rate: float | None = None
    fail_on_regression: bool | None = None  # None: agentci.yaml decides
    concurrency: int | None = None
    templates: str | None = None
    base: str | None = None  # outside Actions: compare with this ref, as CI would
    report: ReportRequest = field(default_factory=ReportRequest)


def pr(run: Run, opts: PrOptions) -> int:
    from agentci.github import gha
    from agentci.github.event import refuse_untrusted_code_with_secrets
    from agentci.report.render import Renderer

    event = run.event
    notes: list[str] = []
    renderer = Renderer(opts.templates)  # a bad --templates fails before minutes of evals
    refuse_untrusted_code_with_secrets(event, run.root, opts.provider)
    validation = validate(run)
    results_path = run.root / ".agentci" / "results.json"
    results_path.unlink(missing_ok=True)  # never report a stale run
    req = EvalRequest(
        output=results_path,
        concurrency=opts.concurrency,
        min_pass_rate=opts.min_pass_rate,
        max_regressions=None
        if opts.fail_on_regression is None
        else (0 if opts.fail_on_regression else NEVER),
        provider=opts.provider,
        # Jinja2's import and the templates' compile, while the model calls are in flight
        while_waiting=lambda: renderer.prepare("pr_comment.md.j2", "summary.md.j2"),
    )
    base_ref = _base_ref(run, opts)
    if base_ref:
        req.base = git.merge_base(run.root, base_ref, notes)
        req.changed_only = req.base is not None
        if req.base is not None:
            run.merge_bases.add(req.base)  # the eval step opens it without asking git again
    if event is not None and event.is_fork:
        req.skip_missing_keys = True
        fork_provider = run.repo.config.eval.fork_provider
        if fork_provider and not opts.provider:
            req.provider = fork_provider
            notes.append(
                f"Fork PR: no secrets here, so evals ran on the `{fork_provider}` provider."
            )
        else:
            notes.append(
                "Fork PR: no secrets here; agents whose provider needs a key were skipped "
                "(set `eval.fork_provider: local` in agentci.yaml to run them on the embedded model)."
            )
    say("eval: " + req.describe(run.root))
    gha.group("agentci eval")
    evaluation, eval_rc = contained(lambda: evaluate(run, req))
    gha.endgroup()
    if evaluation is None:
        notes.append("The eval did not finish (see the job log); no eval results to show.")
    else:
        eval_rc = evaluation.exit_code
    report = build(run, evaluation.results if evaluation else None, validation.for_report(), notes)
    show(run, report, renderer, opts.report)
    return gate(validation, eval_rc, report)


def gate(validation: Validation, eval_rc: int, report: Report) -> int:
    """The flow's exit code: validation errors, the eval's own outcome and the report's verdict."""
    errors = validation.errors
    reasons = [f"{len(errors)} validation error(s)"] if errors else []
    reasons += report.gate_reasons
    if eval_rc not in (EXIT_OK, EXIT_FAIL):
        say("gate: error: the eval did not complete")
        return EXIT_USAGE
    if report.verdict == "neutral" and not errors:
        say("gate: neutral, not a pass: " + "; ".join(reasons or ["nothing was evaluated"]))
        return EXIT_FAIL
    if errors or eval_rc == EXIT_FAIL or report.gate_passed is False:
        say("gate: failed: " + "; ".join(reasons or ["see the report"]))
        return EXIT_FAIL
    say("gate: passed")
    return EXIT_OK


def _base_ref(run: Run, opts: PrOptions) -> str | None:
    """What the head is compared with: the PR's base, the merge queue's base (else the queue
    commit's first parent), or --base REF locally."""
    event = run.event
    if event is None:
        if not opts.base:
            return None
        commit = run.git("rev-parse", "--verify", "--quiet", f"{opts.base}^{{commit}}")
        if commit is None:
            raise UsageError(
                f"--base {opts.base}: no such commit",
                hint="fetch it first, e.g. git fetch origin main",
            )
        return commit
    if event.is_merge_group:
        return event.base_sha or run.git("rev-parse", "HEAD^1")
    return event.base_sha if event.is_pr else None
