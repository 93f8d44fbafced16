"""Find a backend by name: the built-ins, then plugins in the `agentci.backends` entry-point group.

A plugin is a `Backend` subclass with a classmethod `from_config(options: dict) -> Backend`;
`options` is the `workspace:` block of agentci.yaml (plus `path` resolved for local).
"""

from __future__ import annotations

import importlib
from typing import Any

from agentci.deploy.backends.base import Backend
from agentci.errors import AgentciError

ENTRY_POINT_GROUP = "agentci.backends"
#: A local workspace outside the repository, set by the workflow (trusted), like --workspace.
WORKSPACE_ENV = "AGENTCI_WORKSPACE"
BUILTIN = {
    "local": "agentci.deploy.backends.local:LocalBackend",
    "fastio": "agentci.deploy.backends.fastio:FastioBackend",
    "s3": "agentci.deploy.backends.s3:S3Backend",
}


def _load(ref: str) -> type[Backend]:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def available() -> list[str]:
    from importlib.metadata import entry_points

    return sorted(set(BUILTIN) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def get_backend_class(name: str) -> type[Backend]:
    if name in BUILTIN:
        return _load(BUILTIN[name])
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Backend)):
                raise AgentciError(
                    f"backend plugin {name!r} ({ep.value}) is not an agentci Backend subclass"
                )
            return cls
    raise AgentciError(
        f"unknown workspace backend {name!r}",
        hint=f"agentci.yaml workspace.backend: one of {', '.join(available())}, or install a plugin "
        f"that registers it under the {ENTRY_POINT_GROUP!r} entry-point group",
    )


def open_backend(name: str, options: dict[str, Any]) -> Backend:
    cls = get_backend_class(name)
    factory = getattr(cls, "from_config", None)
    if factory is None:
        raise AgentciError(f"backend {name!r} has no from_config(options) classmethod")
    return factory(options)


def open_workspace(config: Any, root: Any, override: str | None = None) -> Backend:
    """The backend agentci.yaml names; `--workspace PATH` points the local backend elsewhere."""
    from pathlib import Path

    ws = config.workspace
    if override and ws.backend != "local":
        raise AgentciError(
            f"--workspace applies to the local backend; agentci.yaml selects {ws.backend!r}",
            hint="drop --workspace, or set workspace.backend: local",
        )
    own = {"fastio": ws.fastio, "s3": ws.s3}.get(ws.backend, {})
    options: dict[str, Any] = {**ws.options, **own}
    if ws.backend == "local":
        import os

        # Trusted input first (the flag, then the workflow's env / the Action's input): relative
        # to where the user stands. The config value is reviewed code: it must stay in the repo.
        override = override or os.environ.get(WORKSPACE_ENV) or None
        if not override:
            from agentci.validate.paths import workspace_path_escapes

            if workspace_path_escapes(Path(root), ws.path):
                raise AgentciError(
                    f"workspace.path {ws.path!r} in agentci.yaml is not a directory inside the repository",
                    hint=f"use a path inside the repo, or point elsewhere with --workspace or "
                    f"{WORKSPACE_ENV}",
                )
        options["path"] = str(Path(override).resolve() if override else Path(root) / ws.path)
    options.setdefault("index_timeout", ws.index_timeout)
    return open_backend(ws.backend, options)
