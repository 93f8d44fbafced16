"""Scaffold a small working agentci repo: one agent (prompt, tools, knowledge, golden set)
on the embedded local model, agentci.yaml, and .github/workflows/agentci.yml.

Existing files are never overwritten unless --force is given.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from agentci.errors import EXIT_OK, AgentciError, UsageError

if TYPE_CHECKING:  # annotation only: importing it at run time warns on 3.13 (gone in 3.14)
    from importlib.abc import Traversable

#: Scaffold directory names that differ from what is written (hidden dirs are awkward as package data).
RENAMES = {"dot-github": ".github", "dot-gitignore": ".gitignore"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", help="where to write the repo (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite files that already exist")


def scaffold_files() -> dict[str, bytes]:
    """Repo-relative path -> content of every file `init` writes."""
    out: dict[str, bytes] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name in ("__pycache__", "__init__.py") or child.name.endswith(".pyc"):
                continue
            name = RENAMES.get(child.name, child.name)
            if child.is_dir():
                walk(child, f"{prefix}{name}/")
            else:
                out[prefix + name] = child.read_bytes()

    walk(resources.files("agentci").joinpath("scaffold"), "")
    return out


def run(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{args.dir} exists and is not a directory", hint="pass a directory path")
    files = scaffold_files()
    existing = sorted(p for p in files if (root / p).exists() or (root / p).is_symlink())
    if existing and not args.force:
        shown = ", ".join(existing[:5]) + (
            f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        )
        raise AgentciError(
            f"not overwriting existing files in {root}: {shown}",
            hint="run in an empty directory, or pass --force to overwrite them",
            exit_code=1,
        )
    for rel, content in files.items():
        target = root / rel
        try:
            if target.is_symlink():  # --force replaces the link itself, never what it points to
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        except OSError as exc:  # e.g. a parent of DIR is a file, or the disk is read-only
            raise UsageError(
                f"cannot write {target}: {exc.strerror or exc}",
                hint="pass a directory you can write to",
            ) from None
    out = sys.stdout
    out.write(f"wrote {len(files)} files to {root}:\n")
    for rel in files:
        out.write(f"  {rel}\n")
    out.write(
        "next:\n"
        f"  agentci validate {args.dir}        # check manifests, prompts, tools, secrets\n"
        f"  (cd {args.dir} && agentci eval)    # run the golden set on the embedded model\n"
        "  commit and push: .github/workflows/agentci.yml runs agentci on every pull request\n"
    )
    return EXIT_OK
