"""Under faasgi.runtime the answer is posted first; background tasks and after_response
functions run after it, before the next event, and are cut at the deadline. The server
records when the answer was complete; the app records when its work ran (time.monotonic is
one clock for every process on the machine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.conftest import function_url_event

pytestmark = pytest.mark.slow
AWSLAMBDARIC = importlib.util.find_spec("awslambdaric") is not None


def ran_at(folder: Path, name: str) -> float:
    return float((folder / name).read_text())


@pytest.mark.parametrize("mode", ["BUFFERED", "RESPONSE_STREAM"])
def test_background_tasks_run_after_the_answer_was_posted(
    launch: Any, tmp_path: Path, mode: str
) -> None:
    server, _ = launch("faasgi", "web.handler", RECORD_DIR=str(tmp_path), FAASGI_INVOKE_MODE=mode)
    outcome = server.invoke(function_url_event("/background"), wait=60)
    assert outcome.kind == "response"
    # The next event is taken only once the work after the response is done.
    server.invoke(function_url_event("/stream", "count=1&pause=0"), wait=60)
    background = ran_at(tmp_path, "background")
    after = ran_at(tmp_path, "after_response")
    assert outcome.completed_at < background and outcome.completed_at < after
    assert background - outcome.completed_at >= 0.25  # the task sleeps 0.3 s first
    assert after > background  # the app's own work first, then after_response functions


def test_work_after_the_response_is_cut_at_the_deadline(launch: Any, tmp_path: Path) -> None:
    server, runtime = launch("faasgi", "web.handler", RECORD_DIR=str(tmp_path))
    outcome = server.invoke(function_url_event("/slow-background"), timeout=3, wait=60)
    assert outcome.kind == "response"
    follow_up = server.invoke(function_url_event("/stream", "count=1&pause=0"), wait=60)
    assert follow_up.kind == "response"
    assert follow_up.started_at - outcome.completed_at < 10  # not the task's 60 s
    assert not (tmp_path / "slow-finished").exists()
    assert "cut at the invocation's deadline" in runtime.output()


@pytest.mark.skipif(not AWSLAMBDARIC, reason="awslambdaric is in the dev extra only")
def test_on_the_managed_runtime_the_work_runs_before_the_answer(
    launch: Any, tmp_path: Path
) -> None:
    server, _ = launch("awslambdaric", "web.handler", RECORD_DIR=str(tmp_path))
    outcome = server.invoke(function_url_event("/background"), wait=60)
    assert outcome.kind == "response"
    assert ran_at(tmp_path, "background") < outcome.completed_at
    assert ran_at(tmp_path, "after_response") < outcome.completed_at
