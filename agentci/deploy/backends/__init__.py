"""Workspace backends: `local` (a directory), `fastio` (Fast.io REST API), or a plugin."""
