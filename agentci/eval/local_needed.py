"""Does this run need the embedded model? The Action asks before installing llama-cpp-python.

Installing the `local` extra builds llama.cpp from source where no wheel fits (~10 minutes on
2 cores), so the Action installs it only for a repo that uses it: an agent, the judge or the
embedder on `provider: local`, `eval.provider: local`, `--provider local`, or a fork PR with
`eval.fork_provider: local`. On a PR the base commit counts too (its agents are evaluated as
the baseline). Deciding from the PR head is safe: it only chooses what gets installed.

    python -m agentci.eval.local_needed [ROOT] [--provider P] [--base SHA] [--fork]
prints `true` or `false`; a repo that cannot be read prints `true` (the install is then
the old default, never a missing model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

LOCAL = "local"


def repo_uses_local(repo: object, *, fork: bool) -> bool:
    from agentci.repo import Repo

    assert isinstance(repo, Repo)
    ev = repo.config.eval
    if LOCAL in (
        ev.provider,
        ev.judge.provider if ev.judge else None,
        ev.embedding.provider if ev.embedding else None,
    ):
        return True
    if fork and ev.fork_provider == LOCAL:
        return True
    return any(agent.model.provider == LOCAL for agent in repo.agents)


def needed(
    root: Path, *, provider: str | None = None, base: str | None = None, fork: bool = False
) -> bool:
    if provider:
        return provider == LOCAL
    from agentci.repo import load_repo
    from agentci.source import WorkTree

    if repo_uses_local(load_repo(WorkTree(root)), fork=fork):
        return True
    if base:
        # merge_base fetches the base into a shallow checkout, as `ci` does
        from agentci.eval.baseline import merge_base, open_base

        try:
            ref = merge_base(root, base, [])
            return ref is not None and repo_uses_local(open_base(root, ref).repo, fork=fork)
        except Exception:
            return True  # the base cannot be read here: install rather than fail the eval later
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m agentci.eval.local_needed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("root", nargs="?", default=".")
    ap.add_argument("--provider", default="")
    ap.add_argument("--base", default="")
    ap.add_argument("--fork", action="store_true")
    a = ap.parse_args(argv)
    try:
        answer = needed(Path(a.root), provider=a.provider or None, base=a.base or None, fork=a.fork)
    except Exception as exc:  # the eval step reports the real problem; here, install to be safe
        print(
            f"agentci: could not read the repository ({type(exc).__name__}); installing the embedded model",
            file=sys.stderr,
        )
        answer = True
    print("true" if answer else "false")
    return 0


if __name__ == "__main__":
    sys.exit(main())
