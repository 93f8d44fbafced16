"""Assertions: one module per family, listed in names.py, run through registry.run_assertion."""
