"""Untrusted text made inert in GitHub markdown: the names the report code uses.

The rules live in `agentci.safe_text` (one module for every sink); these are its markdown
functions under their report names.
"""

from __future__ import annotations

from agentci.safe_text import JOINER, html, truncate
from agentci.safe_text import md_block as block
from agentci.safe_text import md_code as code
from agentci.safe_text import md_inline as inline

__all__ = ["JOINER", "block", "code", "html", "inline", "truncate"]
