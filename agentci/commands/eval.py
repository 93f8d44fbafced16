"""Run the golden eval sets of every agent (or --agent NAME), compare with --base REF, gate the result.

Exit 0 when the gate passes, 1 when it fails (with a one-line reason), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from agentci import safe_text
from agentci.errors import EXIT_FAIL, EXIT_OK, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        help="repository root (default: .), or one GitHub Models *.prompt.yml file",
    )
    parser.add_argument(
        "--agent", action="append", default=[], metavar="NAME", help="only this agent (repeatable)"
    )
    parser.add_argument(
        "--base", metavar="REF", help="also evaluate changed agents at REF (merge base with HEAD)"
    )
    parser.add_argument(
        "--changed-only",
        action="store_true",
        help="with --base: skip agents whose files did not change",
    )
    parser.add_argument(
        "--provider",
        metavar="NAME",
        help="run every agent (and the judge) on this provider, e.g. local",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="requests in flight (default: agentci.yaml, else 8)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write the answer cache"
    )
    parser.add_argument(
        "--shard", metavar="I/N", help="run only shard I of N (deterministic split by case)"
    )
    parser.add_argument(
        "--output", metavar="PATH", help="results JSON (default: <repo>/.agentci/results.json)"
    )
    parser.add_argument("--junit", metavar="PATH", help="also write JUnit XML here")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="stdout format")
    parser.add_argument(
        "--min-pass-rate", type=float, metavar="X", help="gate: overrides eval.gate.min_pass_rate"
    )
    parser.add_argument(
        "--max-regressions", type=int, metavar="N", help="gate: overrides eval.gate.max_regressions"
    )
    parser.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="stop sending requests after this long; cases not done by then are errors",
    )
    parser.add_argument(
        "--skip-missing-keys",
        action="store_true",
        help="record agents whose provider key is missing as skipped (fork PRs) instead of failing",
    )


def run(args: argparse.Namespace) -> int:
    from agentci.eval import junit, results, shard
    from agentci.eval.engine import EvalOptions, evaluate
    from agentci.github.event import load_event, refuse_untrusted_code_with_secrets

    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.min_pass_rate is not None and not 0 <= args.min_pass_rate <= 1:
        raise UsageError("--min-pass-rate must be between 0 and 1", hint="e.g. --min-pass-rate 0.8")
    if args.max_regressions is not None and args.max_regressions < 0:
        raise UsageError("--max-regressions must be 0 or more")
    if args.deadline is not None and not args.deadline > 0:
        raise UsageError("--deadline must be more than 0 seconds", hint="e.g. --deadline 600")
    for flag, value in (("--output", args.output), ("--junit", args.junit)):
        if value:
            _check_writable(flag, Path(value))  # before minutes of model calls, not after
    event = load_event()
    refuse_untrusted_code_with_secrets(event, Path(args.path), args.provider)
    opts = EvalOptions(
        root=Path(args.path),
        agents=args.agent,
        base=args.base,
        provider=args.provider,
        concurrency=args.concurrency,
        no_cache=args.no_cache,
        shard=shard.parse(args.shard) if args.shard else None,
        min_pass_rate=args.min_pass_rate,
        max_regressions=args.max_regressions,
        changed_only=args.changed_only,
        skip_missing_keys=args.skip_missing_keys,
        progress=args.format == "text",
        head_trusted=event is None or not event.head_untrusted,
        deadline=args.deadline,
    )
    from agentci import redact

    data = redact.scrub(
        evaluate(opts)
    )  # before any formatting: every output below is built from this
    output = Path(args.output) if args.output else Path(data["repo"]) / ".agentci" / "results.json"
    text = results.dumps(data)
    results.write(output, data, text)
    if args.junit:
        junit.write(Path(args.junit), data)
    if args.format == "json":
        sys.stdout.write(results.dumps(data, pretty=True) if sys.stdout.isatty() else text)
    else:
        _print_text(data, output)
    gate = data["gate"]
    _set_outputs(data)
    if gate["passed"]:
        return EXIT_OK
    word = "neutral (not a pass)" if gate.get("verdict") == "neutral" else "failed"
    print(f"agentci: gate {word}: {'; '.join(gate['reasons'])}", file=sys.stderr)
    return EXIT_FAIL


def _check_writable(flag: str, path: Path) -> None:
    if path.is_dir():
        raise UsageError(
            f"{flag} {path}: is a directory",
            hint=f"pass a file path, e.g. {flag} {path / ('junit.xml' if flag == '--junit' else 'results.json')}",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"{flag} {path}: cannot create {path.parent}: {exc.strerror or exc}"
        ) from None


def _set_outputs(data: dict[str, Any]) -> None:
    """The action's outputs for `command: eval` (`agentci ci` and `report --post` write them
    again after the report; the last value of a name wins)."""
    from agentci.github import gha

    rate = data["totals"]["pass_rate"]
    gha.set_outputs(
        {
            "pass-rate": "" if rate is None else f"{rate:.4f}",
            "regressions": data["totals"]["regressions"],
            "verdict": data["gate"].get("verdict")
            or ("pass" if data["gate"]["passed"] else "fail"),
        }
    )


def _safe(text: Any, limit: int = 160) -> str:
    """Model output is untrusted: no terminal escapes, one line, bounded."""
    return safe_text.line(str(text or "").replace("\n", " "), limit)


def _print_text(data: dict[str, Any], output: Path) -> None:
    out = sys.stdout
    for a in data["agents"]:
        if a["skipped"]:
            continue
        bad = [c for c in a["cases"] if c["status"] in ("fail", "error")]
        bad.sort(key=lambda c: (c.get("change") != "regression", c["status"] != "fail"))
        for c in bad[:20]:
            tag = "REGRESSION" if c.get("change") == "regression" else c["status"].upper()
            if c["status"] == "error":
                why = c["error"]
            else:
                why = (
                    "; ".join(x["reason"] for x in c["assertions"] if not x["passed"])
                    or f"score {c['score']}"
                )
            # Names, ids and paths are PR-authored: a newline in one would start a workflow command.
            where = _safe(f"{a['name']}/{c['id']}  {c['set']}:{c['line']}", 240)
            out.write(f"  {tag:<10} {where}  {_safe(why)}\n")
        if len(bad) > 20:
            out.write(f"  ... and {len(bad) - 20} more in {output}\n")
    t = data["totals"]
    rate = f"{t['pass_rate']:.1%}" if t["pass_rate"] is not None else "n/a"
    out.write(
        f"{t['cases']} cases: {t['passed']} passed, {t['failed']} failed, {t['errors']} errors, {t['skipped']} skipped"
        f" (pass rate {rate}); {t['regressions']} regressions; {t['requests']} requests, {t['cached']} cached;"
        f" {t['duration_s']:.1f}s\n"
    )
    word = {"pass": "passed", "neutral": "NEUTRAL (nothing evaluated: not a pass)"}.get(
        data["gate"].get("verdict", ""), "FAILED"
    )
    for r in data.get("trust", {}).get("refused", []):
        out.write(f"  REFUSED    {_safe(r['reason'], 400)}\n")
    out.write(f"gate: {word}; results: {output}\n")
