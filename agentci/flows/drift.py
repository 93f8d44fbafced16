"""The drift step: desired (git) vs live (workspace), per agent and file, by content hash.
`agentci diff` is this step alone; `scheduled()` runs it after validation."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from agentci.flows.run import Run

MAX_DIFF_LINES = 40


@dataclass
class Drift:
    data: dict[str, Any]  # the JSON report (`agentci diff --format json`)
    #: the text report in pieces; True marks live file content (untrusted: printed inert)
    chunks: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return bool(self.data["in_sync"])

    @property
    def text(self) -> str:
        return "\n".join(text for text, _ in self.chunks)


def drift(
    run: Run, ref: str | None = None, environment: str | None = None, workspace: str | None = None
) -> Drift:
    """Compare; on drift, send the `notify:` drift event. Raises AgentciError without agents."""
    from agentci.deploy.backends.registry import open_workspace
    from agentci.deploy.desired import load_desired
    from agentci.deploy.plan import make_plan

    root = run.root
    desired = load_desired(root, ref, environment, check=False)
    if not desired.agents:
        from agentci.errors import AgentciError

        raise AgentciError(
            f"{desired.label}: no agents found, so there is nothing to compare",
            hint="check the `agents:` globs in agentci.yaml",
        )
    backend = open_workspace(desired.config, root, workspace)
    try:
        plan = make_plan(backend, desired)
        done = Drift(
            {
                "environment": desired.environment,
                "commit": desired.commit,
                "workspace": backend.describe(),
                "in_sync": not plan.drift,
                "areas": [a.to_json() for a in plan.areas],
            }
        )
        say = done.chunks.append
        say(
            (
                f"diff {(desired.commit or 'work tree')[:12]} (git) vs {desired.environment}: "
                f"{backend.describe()} ({backend.name})",
                False,
            )
        )
        files = {a.ref.key: a for a in desired.areas()}
        for ap in plan.areas:
            label = f"agent {ap.name}" if ap.kind == "agent" else ap.name
            note = " (live but not in git; deploy --prune removes it)" if ap.extra else ""
            note = note or (" (not deployed)" if ap.live is None else "")
            say((f"{label}: {ap.sync}{note}", False))
            for path, change in sorted(ap.changes.items()):
                mark = "+" if change == "added" else "-" if change == "removed" else "~"
                say((f"  {mark} {path}", False))
                area = files.get(ap.ref.key)
                if change == "modified" and area is not None:
                    live = backend.read(f"{ap.ref.path}/{path}") or b""
                    say((_unified(live, area.files[path], path), True))
        say(("in sync" if not plan.drift else "drift detected", False))
    finally:
        backend.close()
    if plan.drift:
        from agentci.deploy.notify import DRIFT, send
        from agentci.flows.deploy import log

        changed = [
            {"name": a.name, "sync": a.sync, "health": "-", "release": a.live_release}
            for a in plan.areas
            if not a.in_sync or a.extra
        ]
        send(desired.config.notify, DRIFT, desired.environment, desired.commit, changed, "", log)
    return done


def _unified(live: bytes, want: bytes, path: str) -> str:
    try:
        a, b = live.decode("utf-8").splitlines(), want.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return "    (binary files differ)"
    from agentci import safe_text

    lines = list(difflib.unified_diff(a, b, f"live/{path}", f"git/{path}", lineterm="", n=1))
    shown = [f"    {safe_text.terminal(line)}" for line in lines[:MAX_DIFF_LINES]]
    if len(lines) > MAX_DIFF_LINES:
        shown.append(f"    ... {len(lines) - MAX_DIFF_LINES} more lines")
    # Live files are written by agents and people: a context line such as "::add-mask::x" would
    # otherwise be a workflow command in the scheduled drift job, and escapes would drive the terminal.
    return "\n".join(shown)
