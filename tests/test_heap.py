"""agentci.heap: collection paused while an eval's heap is built, in the program only.

Each check runs in its own interpreter: freezing the test process's heap would change
every test after it."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_the_program_builds_without_collections_then_freezes_what_it_built() -> None:
    out = _run(
        """
        import gc
        from agentci import heap
        heap.one_shot()
        runs = []
        gc.callbacks.append(lambda phase, info: phase == "start" and runs.append(info))
        heap.hold()
        paused = not gc.isenabled()
        built = [[i] for i in range(300_000)]  # past any collection threshold
        during = len(runs)
        heap.settle()
        heap.settle()  # twice is harmless
        print(paused, during, gc.isenabled(), gc.get_freeze_count() >= len(built))
        """
    )
    assert out == "True 0 True True"


def test_outside_the_program_nothing_changes() -> None:
    out = _run(
        """
        import gc
        from agentci import heap
        heap.hold()
        enabled = gc.isenabled()
        heap.settle()
        print(enabled, gc.get_freeze_count())
        """
    )
    assert out == "True 0"


def test_a_disabled_collector_is_left_disabled() -> None:
    out = _run(
        """
        import gc
        from agentci import heap
        heap.one_shot()
        gc.disable()
        heap.hold()
        heap.settle()
        print(gc.isenabled(), gc.get_freeze_count())
        """
    )
    assert out == "False 0"
