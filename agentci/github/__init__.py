"""Everything GitHub: `gha` (Actions runner I/O), `api` (REST via PyGithub), `event` (the
triggering event). Nothing else in agentci reads GITHUB_* variables or talks to GitHub."""
