"""Evaluation: run golden sets against providers, score them, compare with the base ref."""
