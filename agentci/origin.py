"""Who started this run and where its log lives: set once by the flows from `agentci.github`
(the only package that reads `GITHUB_*`), read by deploy for lock owners, status files and
notifications. Outside GitHub Actions it stays empty and deploy names the local user."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    #: e.g. "octocat (GitHub Actions run 123)"; None: a local run
    actor: str | None = None
    #: the Actions run's page, linked from status files, Deployments and notifications
    run_url: str | None = None
    #: owner/name, shown in notifications
    repository: str | None = None


_current = Origin()


def set_current(origin: Origin) -> None:
    global _current
    _current = origin


def current() -> Origin:
    return _current
