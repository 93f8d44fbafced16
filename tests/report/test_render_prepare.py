"""Renderer.prepare: the PR flow builds the Jinja2 environment and compiles its templates on
a thread while the model calls are in flight; what it renders, and how it fails, stay the same."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agentci.errors import AgentciError
from agentci.eval import results as results_mod
from agentci.report import model
from agentci.report.render import Renderer
from tests.report.conftest import load

NAMES = ("pr_comment.md.j2", "summary.md.j2")


def test_prepared_on_a_thread_renders_what_a_fresh_renderer_renders() -> None:
    report = model.build(results_mod.from_json(load("two_agents.json")))
    prepared = Renderer()
    worker = threading.Thread(target=prepared.prepare, args=NAMES)
    worker.start()
    # asked while the thread may still be building: one environment, whoever asks first
    comment = prepared.comment(report)
    worker.join()
    fresh = Renderer()
    assert comment == fresh.comment(report)
    assert prepared.summary(report) == fresh.summary(report)
    assert len(prepared.env.cache) >= len(NAMES)  # the compiled templates were kept


def test_a_bad_templates_dir_fails_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(AgentciError, match="not a directory"):
        Renderer(tmp_path / "missing")


def test_a_broken_template_is_reported_by_render_not_swallowed_by_prepare(
    tmp_path: Path,
) -> None:
    (tmp_path / "pr_comment.md.j2").write_text("ok\n{% if %}\n")
    renderer = Renderer(tmp_path)
    renderer.prepare(*NAMES)  # no exception here: the error belongs to the render
    report = model.build(results_mod.from_json(load("two_agents.json")))
    with pytest.raises(AgentciError, match=r"pr_comment\.md\.j2:2: template error"):
        renderer.comment(report)
