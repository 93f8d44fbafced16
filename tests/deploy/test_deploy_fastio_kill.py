"""kill -9 of a real deploy against the Fast.io stand-in at random points; the next run completes it.

Prints its figures (trials, where kills landed, agents seen missing) for the report."""

from __future__ import annotations

import random
import signal
import sys
import time
from pathlib import Path

from deploy_helpers import commit_all, desired_areas, git
from fastio_helpers import KEY, check_deployed, fastio_repo, fdeploy, popen_deploy

from tests.servers.fastio_server import FastioServer

AGENTS = ("a0", "a1", "a2", "a3")


def test_kill_minus_9_then_the_next_run_completes(tmp_path: Path) -> None:
    rng = random.Random(99)
    with FastioServer(token=KEY) as fio:
        repo = fastio_repo(tmp_path / "r", fio, agents=AGENTS, knowledge=30, big=False)
        assert fdeploy(repo)[0] == 0
        (repo / "agents/a0/system_prompt.md").write_text("warm-up\n")
        (repo / "knowledge/shared/doc0001.md").write_text("warm-up\n")
        commit_all(repo, "warm-up")
        t0, seen = time.monotonic(), len(fio.requests)
        assert fdeploy(repo)[0] == 0  # how many calls does a deploy that changes things make?
        duration, calls = time.monotonic() - t0, len(fio.requests) - seen
        trials, killed_mid, mixed, missing, completed = 12, 0, 0, 0, 0
        prev = desired_areas(repo, git(repo, "rev-parse", "HEAD"))
        for n in range(trials):
            for name in rng.sample(AGENTS, 2):
                (repo / f"agents/{name}/system_prompt.md").write_text(
                    f"You are {name}, trial {n}.\n"
                )
            for i in rng.sample(range(30), 5):
                (repo / f"knowledge/shared/doc{i:04d}.md").write_text(f"trial {n} doc {i}\n")
            want = desired_areas(repo, commit_all(repo, f"trial {n}"))
            # The kill lands after a random number of the deploy's own calls, not after a
            # wall-clock guess: on a loaded machine (the suite runs with -n 2) a deploy's
            # duration varies more than a timer can follow.
            seen = len(fio.requests)
            proc = popen_deploy(repo)
            at, give_up = rng.randint(1, max(1, calls - 1)), time.monotonic() + 60
            while (
                len(fio.requests) - seen < at and proc.poll() is None and time.monotonic() < give_up
            ):
                time.sleep(0.002)
            killed_mid += proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            for name in (
                AGENTS
            ):  # an agent is its old or its new configuration, or (in the swap window) absent
                area = f"agents/{name}"
                live = fio.files(area) if fio.find(area) else None
                if live is None:
                    missing += 1
                elif live not in (want[area], prev[area]):
                    mixed += 1
                    print(f"trial {n}: {area} is a mix", file=sys.stderr)
            fio.advance(61)  # the killed run's 60 s lock runs out (it can no longer heartbeat)
            rc, _data, err = fdeploy(repo)
            assert rc == 0, err
            check_deployed(fio, repo)
            completed += 1
            prev = want
        print(
            f"\nfastio kill -9 trials: {trials}, killed mid-run: {killed_mid}, agents seen mixed: {mixed}, "
            f"agents seen missing (between the swap's two moves): {missing}, next run completed: "
            f"{completed}/{trials}, deploy duration {duration:.1f}s, {calls} calls"
        )
        assert mixed == 0 and completed == trials
        assert killed_mid >= trials // 2
