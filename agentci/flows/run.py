"""One run of agentci in one process: the repository root, the event, the repo and the merge
base, each loaded once and handed to every step, plus the Action outputs collected for one
write at the end.

A step never loads the repo or opens the base itself when it is given a `Run`: `agentci ci`
validates, evaluates and reports from the same `Repo`, and the base commit is read once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from agentci import git
from agentci.errors import EXIT_USAGE, AgentciError, UsageError, internal_error_text
from agentci.github import gha

T = TypeVar("T")

if TYPE_CHECKING:
    from agentci.eval.baseline import Base
    from agentci.github.event import Event
    from agentci.repo import Repo


@dataclass
class Run:
    root: Path
    event: Event | None = None
    outputs: gha.Outputs = field(default_factory=gha.Outputs)
    _repo: Repo | None = field(default=None, repr=False)
    _bases: dict[str, Base] = field(default_factory=dict, repr=False)
    #: commits already known to be the merge base of themselves and HEAD (see pr())
    merge_bases: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        need_dir: bool = True,
        event: bool = True,
        parse_cache: bool = False,
    ) -> Run:
        """The run for the repository at `path` and (with `event`) the event in the environment
        (None outside GitHub Actions). `parse_cache`: big eval sets may be parsed from (and
        into) the parse cache in the cache folder, as an eval does; validate and deploy leave
        it off, so they write nothing outside the repository."""
        from agentci import cachedb

        cachedb.set_enabled(parse_cache)  # before the repo is loaded: the repo is loaded once
        from agentci import origin

        origin.set_current(gha.origin())  # who runs this, and the run's page, for deploy
        root = Path(path).resolve()
        if need_dir and not root.is_dir():
            raise UsageError(f"{path} is not a directory", hint="pass the repository root")
        if not event:
            return cls(root)
        from agentci.github.event import load_event

        return cls(root, load_event())

    @property
    def repo(self) -> Repo:
        """The work tree's repo, loaded on first use and then shared by every step."""
        if self._repo is None:
            from agentci.repo import load_repo
            from agentci.source import WorkTree

            self._repo = load_repo(WorkTree(self.root))
        return self._repo

    def base(self, ref: str) -> Base:
        """The base commit (merge base of `ref` and HEAD), opened once per ref."""
        if ref not in self._bases:
            from agentci.eval.baseline import open_base

            known = ref if ref in self.merge_bases else None
            self._bases[ref] = open_base(self.root, ref, merge_base=known)
        return self._bases[ref]

    def git(self, *args: str) -> str | None:
        """`git args` in the root: stripped stdout, or None when it fails."""
        return git.out(self.root, *args)

    def finish(self) -> None:
        """Write the collected outputs and summary sections, and close the base's git reader."""
        self.outputs.write()
        for base in self._bases.values():
            close = getattr(base.repo.source, "close", None)
            if close is not None:
                close()


def say(line: str) -> None:
    """A progress line of a flow on stdout (`agentci: ...`)."""
    print(f"agentci: {line}", flush=True)


def contained(step: Callable[[], T]) -> tuple[T | None, int]:
    """Run a step whose failure must not stop the flow (the report still goes out): its result
    and 0, or None and the exit code the CLI would give, with the CLI's one-line message."""
    try:
        return step(), 0
    except AgentciError as exc:
        print(f"agentci: error: {exc}", file=sys.stderr, flush=True)
        return None, exc.exit_code
    except Exception as exc:
        print(internal_error_text(exc), file=sys.stderr, flush=True)
        return None, EXIT_USAGE
