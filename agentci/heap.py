"""The garbage collector in the `agentci` program, for commands that build a heap and then use it.

An eval builds ~100,000 objects before its first request (the parsed sets, the planned
jobs) and keeps every one of them to the end: the collector finds nothing to free in
them, yet a young-generation pass over them cost 17 ms while the set was parsed and
39 ms in the middle of the first wave of requests (2,000 cases, c=256). In the program
(`cli.entry`, whose process ends with the command) `hold()` pauses collection while that
heap is built and `settle()` moves it out of the collector's sight (`gc.freeze`) and
resumes collection, so objects made during the run are collected as usual. Elsewhere
(tests, the MCP server: `main` called in a process that goes on) both do nothing, so no
caller's heap is ever frozen.

Cyclic garbage made between the two is kept, not freed: a few hundred objects for a
2,000-case set (`collected` in the collector's own count), bounded by the set-size limits.
"""

from __future__ import annotations

import gc

_one_shot = False
_held = False


def one_shot() -> None:
    """Called by the program: this process ends when the command returns."""
    global _one_shot
    _one_shot = True


def hold() -> None:
    """Pause collection while a long-lived heap is built (program only; see the module)."""
    global _held
    if _one_shot and not _held and gc.isenabled():
        gc.disable()
        _held = True


def settle() -> None:
    """The heap is built: freeze it and collect again. Safe to call any number of times."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
