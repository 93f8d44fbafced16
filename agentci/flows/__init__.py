"""The pipelines agentci runs, as typed library calls: `pr()` (validate → evaluate → report →
gate), `merge()` (validate → deploy) and `scheduled()` (validate → drift check), picked from the
event by `ci()`. Each step is a typed function taking the process's one `Run` (repo, config and
merge base loaded once; Action outputs collected and written once at its end).

Layers: flows sit above eval, report, deploy and github, and below the CLI; nothing below
imports flows. The CLI commands are thin adapters: argparse → typed request → step → exit code.
"""
