"""agentci: GitOps for AI agents, native to GitHub Actions.

The data flow, one package or module per step:
discover -> validate -> eval -> report (PR), deploy -> status (merge).
"""

from __future__ import annotations

__version__ = "0.1.0"
