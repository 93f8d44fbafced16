"""What a deploy is asked to do: the settings the deploy engine's options (`DeployOptions`)
and the flow's request (`flows.deploy.DeployRequest`) share, stated once. Kept apart from
`deploy.apply` so the flows can name them without importing the engine."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(kw_only=True)
class DeploySettings:
    ref: str | None = None  # commit to deploy (default: HEAD)
    workspace: str | None = None
    dry_run: bool = False
    prune: bool = False
    force: bool = False
    restore_memory: bool = False
    wipe_memory: bool = False
    smoke: bool = True
    self_heal: bool = False

    def settings(self) -> dict[str, Any]:
        """These settings alone, as keywords (for the engine's options)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(DeploySettings)}
