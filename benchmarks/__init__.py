"""agentci benchmarks: `python -m benchmarks` runs every bench side by side (see README.md)."""
