"""How llama.cpp's threads wait at barriers: chosen from the idle cores, the user's setting wins."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from agentci.eval.providers import local

VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in VARS:
        monkeypatch.delenv(var, raising=False)


def test_an_idle_core_gets_a_short_spin(clean_env: None) -> None:
    assert local._thread_waits(free=1.6) == "spin"
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"  # after the spin, the threads sleep
    assert os.environ["GOMP_SPINCOUNT"] == str(local.IDLE_SPIN)


def test_busy_cores_wait_passively(clean_env: None) -> None:
    assert local._thread_waits(free=0.3) == "passive"
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    assert "GOMP_SPINCOUNT" not in os.environ


@pytest.mark.parametrize("var,value", [("OMP_WAIT_POLICY", "ACTIVE"), ("GOMP_SPINCOUNT", "5")])
def test_the_users_setting_wins(clean_env: None, monkeypatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    assert local._thread_waits(free=2.0) == "user"
    assert os.environ[var] == value
    assert all(os.environ.get(v) in (None, value) for v in VARS)


def test_free_cores_sees_a_busy_machine() -> None:
    """Measured, not guessed: with every core kept busy by other processes, the reading drops
    below what makes the threads spin."""
    cores = os.cpu_count() or 1
    idle = local._free_cores(window=0.3)
    assert 0.0 <= idle <= cores + 0.01
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores + 1)
    ]
    try:
        busy = min(local._free_cores(window=0.3) for _ in range(3))
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert busy < local.FREE_CORE
