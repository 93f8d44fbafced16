"""What the GitHub Action runs: picks the steps from the event.

pull_request -> validate + eval (changed agents, against the merge base) + report + gate;
push to the default branch -> validate + deploy; workflow_dispatch / schedule -> drift
check (diff). Without GitHub env vars it runs the pull-request flow on the current repo
and prints the report: `cd examples/support-bot && agentci ci` works offline.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from agentci.errors import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from agentci.github.event import PR_ACTIONS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument(
        "--provider", metavar="NAME", help="run every agent on this provider (e.g. local)"
    )
    parser.add_argument(
        "--min-pass-rate", type=float, metavar="X", help="gate: overrides eval.gate.min_pass_rate"
    )
    parser.add_argument(
        "--fail-on-regression",
        choices=["true", "false", ""],
        default="",
        help="true: any regression fails the gate; false: regressions never do (default: agentci.yaml)",
    )
    parser.add_argument("--concurrency", type=int, metavar="N", help="model requests in flight")
    parser.add_argument("--templates", metavar="DIR", help="override report templates")
    parser.add_argument("--no-comment", action="store_true", help="do not post the PR comment")
    parser.add_argument(
        "--no-status", action="store_true", help="do not set the agentci commit status"
    )
    parser.add_argument(
        "--base",
        metavar="REF",
        help="outside Actions: run the pull-request flow against REF, as CI would (e.g. origin/main)",
    )
    parser.add_argument(
        "--status-context",
        metavar="NAME",
        default="agentci",
        help="commit status name (two agentci jobs need two names; default: agentci)",
    )
    parser.add_argument(
        "--pr-actions",
        metavar="A,B",
        default=",".join(PR_ACTIONS),
        help="pull_request actions that evaluate (default: %(default)s); others only validate",
    )


def run(args: argparse.Namespace) -> int:
    from agentci.github.event import load_event
    from agentci.repo import load_repo
    from agentci.source import WorkTree

    root = Path(args.path).resolve()
    if not root.is_dir():
        from agentci.errors import UsageError

        raise UsageError(f"{args.path} is not a directory", hint="pass the repository root")
    event = load_event()
    if event is not None and event.is_tag_or_deletion:
        _say(
            f"event {event.name} ({event.ref or event.payload.get('ref') or '?'}): a tag or a deleted ref, nothing to do"
        )
        return EXIT_OK
    repo = load_repo(WorkTree(root))
    if (
        event is not None
        and event.is_pr
        and event.action
        and event.action not in _actions(args.pr_actions)
    ):
        _say(
            f"pull_request action {event.action!r}: not one that evaluates ({args.pr_actions}); validating only"
        )
        return EXIT_FAIL if _validate(root, repo) else EXIT_OK
    if event is None or event.is_pr or event.is_merge_group:
        return _pr_flow(args, root, repo, event)
    if event.is_default_branch_push:
        return _deploy_flow(args, root, repo, event)
    if event.name in ("workflow_dispatch", "schedule"):
        return _drift_flow(root, repo)
    if event.name == "push":  # another branch: evaluate, report in the summary, no deploy
        return _pr_flow(args, root, repo, event)
    _say(f"event {event.name}: nothing to do beyond validation")
    return EXIT_FAIL if _validate(root, repo) else EXIT_OK


def _actions(value: str) -> set[str]:
    return {a.strip() for a in value.split(",") if a.strip()}


def _say(line: str) -> None:
    print(f"agentci: {line}", flush=True)


def _validate(root: Path, repo: Any) -> list[dict[str, Any]]:
    """Run validation, print it, save it for the report; returns the error findings."""
    from agentci.findings import Severity
    from agentci.validate import validate
    from agentci.validate.output import render

    findings = validate(repo)
    _say(f"validate: {len(repo.agents)} agent(s)")
    sys.stdout.write(render(findings, "text", agents=len(repo.agents)))
    out = root / ".agentci" / "findings.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    data = [f.to_json() for f in findings]
    from agentci import redact

    out.write_text(
        redact.text(json.dumps({"agents": len(repo.agents), "findings": data}, indent=1)),
        encoding="utf-8",
    )
    return [d for d, f in zip(data, findings, strict=True) if f.severity is Severity.ERROR]


def _findings(root: Path) -> list[dict[str, Any]]:
    path = root / ".agentci" / "findings.json"
    try:
        return list(json.loads(path.read_text(encoding="utf-8")).get("findings", []))
    except (OSError, ValueError):
        return []


def _cli(*argv: str, capture: bool = False) -> tuple[int, str]:
    """Run another agentci command in-process, exactly as a user would type it."""
    from agentci.cli import main

    if not capture:
        sys.stdout.flush()
        return main(list(argv)), ""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(list(argv))
    return rc, buf.getvalue()


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _merge_base(root: Path, base_sha: str, notes: list[str]) -> str | None:
    """The merge base of the PR base and HEAD, fetching the base when the checkout is shallow."""
    if _git(root, "cat-file", "-e", f"{base_sha}^{{commit}}") is None:
        _git(root, "fetch", "--no-tags", "--quiet", "origin", base_sha)
    if _git(root, "cat-file", "-e", f"{base_sha}^{{commit}}") is None:
        notes.append(
            f"Base commit {base_sha[:12]} is not in the checkout, so there is no base comparison: "
            "use `fetch-depth: 0` in actions/checkout."
        )
        return None
    # A shallow clone can lack the history to find a merge base: then the base itself is
    # the best comparison (for a PR merge commit it is the first parent).
    return _git(root, "merge-base", base_sha, "HEAD") or base_sha


def _base_ref(args: argparse.Namespace, root: Path, event: Any) -> str | None:
    """What the head is compared with: the PR's base, the merge queue's base (else the queue
    commit's first parent), or --base REF locally."""
    if event is None:
        if (
            args.base
            and _git(root, "rev-parse", "--verify", "--quiet", f"{args.base}^{{commit}}") is None
        ):
            from agentci.errors import UsageError

            raise UsageError(
                f"--base {args.base}: no such commit",
                hint="fetch it first, e.g. git fetch origin main",
            )
        return _git(root, "rev-parse", f"{args.base}^{{commit}}") if args.base else None
    if event.is_merge_group:
        return event.base_sha or _git(root, "rev-parse", "HEAD^1")
    return event.base_sha if event.is_pr else None


def _pr_flow(args: argparse.Namespace, root: Path, repo: Any, event: Any) -> int:
    from agentci.github import gha
    from agentci.github.event import refuse_untrusted_code_with_secrets
    from agentci.github.publish import publish
    from agentci.report import model, text
    from agentci.report.render import Renderer

    notes: list[str] = []
    renderer = Renderer(args.templates)  # a bad --templates fails before minutes of evals
    refuse_untrusted_code_with_secrets(event, root, args.provider)
    errors = _validate(root, repo)
    results_path = root / ".agentci" / "results.json"
    results_path.unlink(missing_ok=True)  # never report a stale run
    argv = ["eval", str(root), "--output", str(results_path)]
    base_ref = _base_ref(args, root, event)
    if base_ref:
        base = _merge_base(root, base_ref, notes)
        if base:
            argv += ["--base", base, "--changed-only"]
    provider = args.provider
    if event is not None and event.is_fork:
        argv.append("--skip-missing-keys")
        fork_provider = repo.config.eval.fork_provider
        if fork_provider and not provider:
            provider = fork_provider
            notes.append(
                f"Fork PR: no secrets here, so evals ran on the `{fork_provider}` provider."
            )
        else:
            notes.append(
                "Fork PR: no secrets here; agents whose provider needs a key were skipped "
                "(set `eval.fork_provider: local` in agentci.yaml to run them on the embedded model)."
            )
    if provider:
        argv += ["--provider", provider]
    if args.concurrency:
        argv += ["--concurrency", str(args.concurrency)]
    if args.min_pass_rate is not None:
        argv += ["--min-pass-rate", str(args.min_pass_rate)]
    if args.fail_on_regression == "true":
        argv += ["--max-regressions", "0"]
    elif args.fail_on_regression == "false":
        argv += ["--max-regressions", str(10**9)]
    _say("eval: " + " ".join(argv[1:]))
    gha.group("agentci eval")
    eval_rc, _ = _cli(*argv)
    gha.endgroup()
    results = None
    if results_path.is_file():
        from agentci.report import load_results

        results = load_results([results_path])
    else:
        notes.append("The eval did not finish (see the job log); no eval results to show.")

    report = model.build(
        results,
        _findings(root),
        run_url=event.run_url if event else None,
        marker=repo.config.report.marker,
        max_output=repo.config.report.max_output_chars,
    )
    report.notes.extend(notes)
    report.incomplete = results is None
    if event is None:
        (root / ".agentci").mkdir(parents=True, exist_ok=True)
        from agentci import redact

        (root / ".agentci" / "report.md").write_text(
            redact.text(renderer.summary(report)), encoding="utf-8"
        )
        gha.print_untrusted(
            text.report(report)
            if text.wanted(sys.stdout, gha.in_actions())
            else renderer.comment(report)
        )
    else:
        done = publish(
            report,
            renderer,
            event,
            report_dir=root / ".agentci",
            comment=event.is_pr and not args.no_comment,
            status=not args.no_status,
            status_context=args.status_context,
        )
        _say(
            f"report: comment {done.comment}, status {done.status}, summary {'written' if done.summary else 'skipped'}, "
            f"{done.annotations} annotation(s)"
        )
        for note in done.notes:
            _say(note)
        gha.print_untrusted(
            text.report(report)
            if text.wanted(sys.stdout, gha.in_actions())
            else renderer.comment(report)
        )
    return _gate(errors, eval_rc, report)


def _gate(errors: list[dict[str, Any]], eval_rc: int, report: Any) -> int:
    reasons = [f"{len(errors)} validation error(s)"] if errors else []
    reasons += report.gate_reasons
    if eval_rc not in (EXIT_OK, EXIT_FAIL):
        _say("gate: error: the eval did not complete")
        return EXIT_USAGE
    if report.verdict == "neutral" and not errors:
        _say("gate: neutral, not a pass: " + "; ".join(reasons or ["nothing was evaluated"]))
        return EXIT_FAIL
    if errors or eval_rc == EXIT_FAIL or report.gate_passed is False:
        _say("gate: failed: " + "; ".join(reasons or ["see the report"]))
        return EXIT_FAIL
    _say("gate: passed")
    return EXIT_OK


def _deploy_flow(args: argparse.Namespace, root: Path, repo: Any, event: Any) -> int:
    from agentci.github import gha
    from agentci.report.render import Renderer

    if _validate(root, repo):
        _say("deploy: not started: validation found errors")
        gha.set_outputs({"verdict": "fail"})
        return EXIT_FAIL
    import agentci.commands.deploy as deploy_cmd

    if "not built yet" in (deploy_cmd.__doc__ or ""):
        _say("deploy not configured: this agentci has no deploy command yet; validation passed")
        gha.append_summary("### agentci deploy\n\nDeploy not configured; validation passed.\n")
        return EXIT_OK
    head = _git(root, "rev-parse", "HEAD") or event.sha  # before: a status write-back may commit
    rc, out = _cli("deploy", str(root), "--format", "json", capture=True)
    try:
        status = json.loads(out) if out.strip() else {}
    except ValueError:
        status = {}
        sys.stdout.write(out)
    if isinstance(status, dict) and status:
        text = Renderer(args.templates).deploy_status(status, event.run_url)
        gha.append_summary(text)
        gha.print_untrusted(text)
    sha = str(status.get("commit") or head) if isinstance(status, dict) else head
    gha.set_outputs(
        {
            "verdict": "pass" if rc == EXIT_OK else "fail",
            "deployed-sha": sha if rc == EXIT_OK else "",
        }
    )
    _say(f"deploy: {'done' if rc == EXIT_OK else 'failed'} ({sha[:12]})")
    return rc


def _drift_flow(root: Path, repo: Any) -> int:
    from agentci.github import gha

    errors = _validate(root, repo)
    rc, out = _cli("diff", str(root), capture=True)
    gha.print_untrusted(out)
    verdict = {0: "in sync", 1: "drift"}.get(rc, "error")
    from agentci.report import escape

    gha.append_summary(f"### agentci drift check: {verdict}\n\n{escape.block(out, 60_000)}\n")
    gha.set_outputs({"verdict": "pass" if rc == EXIT_OK and not errors else "fail"})
    _say(f"diff: {verdict}")
    return rc if rc else (EXIT_FAIL if errors else EXIT_OK)
