from __future__ import annotations

from agentci.cli import main

raise SystemExit(main())
