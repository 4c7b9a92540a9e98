"""examples/timer: the lesson's bug and its fix, in the emulator, with the README's own
commands. Under `--max-instances 1` with slow runs, events queue; the job that reads the
clock counts the minutes it happened to run in, the one that reads the trigger time counts
exactly the windows it was triggered for; a run on a corrupt log file ends, after the
platform's retries, in the OnFailure queue (moto's SQS).

The trigger times lie in January 2026, months before any clock this test runs under: a
trigger time that ever comes from the clock fails the test."""

from __future__ import annotations

import itertools
import re
import shlex
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from faasgi.testing.emulator import Emulator
from tests.local.asyncinv.conftest import (
    aws_endpoint,
    body,
    messages,
    started_at,
    trigger,
    wait_finished,
)
from tests.local.conftest import ROOT

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "examples" / "timer"
#: trigger time -> (the window it must count, its log lines)
TRIGGERS = {
    "2026-01-01T12:00:00Z": ("2026-01-01T11:59Z", 3),
    "2026-01-01T12:01:00Z": ("2026-01-01T12:00Z", 5),
}
CORRUPT = "2026-01-01T12:02:00Z"  # its window's log file is not UTF-8


def readme_commands() -> tuple[list[str], list[str]]:
    """The `faasgi serve` and `faasgi trigger` command lines the README shows."""
    text = (EXAMPLE / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block is not None
    lines = block.group(1).replace("\\\n", " ").splitlines()
    serve = next(shlex.split(line, comments=True) for line in lines if "faasgi serve" in line)
    fire = next(shlex.split(line, comments=True) for line in lines if "faasgi trigger" in line)
    return serve, fire


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    (tmp_path / "2026-01-01T11-59.log").write_text("GET /\n" * 3)
    (tmp_path / "2026-01-01T12-00.log").write_text("GET /\n" * 5)
    (tmp_path / "2026-01-01T12-01.log").write_bytes(b"\xff\xfe not text\n")
    return tmp_path


def start(handler: str, logs: Path) -> Emulator:
    serve, _ = readme_commands()
    assert serve[:3] == ["faasgi", "serve", "app:right"]
    options = serve[3:]
    emulator = Emulator(
        handler,
        *options,
        "--no-dynamodb",
        cwd=str(EXAMPLE),
        env={"TIMER_LOG_DIR": str(logs), "TIMER_SLOW_SECONDS": "0.5"},
    )
    emulator.start()
    return emulator


def fire_all(emulator: Emulator, times: list[str]) -> None:
    _, fire = readme_commands()
    assert fire[:3] == ["faasgi", "trigger", "every-minute"]
    for when in times:
        done = trigger(emulator, "every-minute", "--time", when)
        assert done.returncode == 0, done.stderr
        assert "accepted, request id" in done.stdout


def results_of(endpoint: str, times: list[str]) -> list[dict[str, Any]]:
    """The OnSuccess records of the events fired for `times`, in the order they arrived.

    The README's schedule is `cron(* * * * ? *)`: when the test crosses a minute, the
    schedule fires on its own too, and its record lands in the same queue. Those are
    left out; the fired ones are waited for."""
    wanted: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 60
    while set(wanted) != set(times):
        assert time.monotonic() < deadline, f"results for {sorted(wanted)} of {times}"
        for message in messages(endpoint, "timer-results", 1):
            record = body(message)
            if record["requestPayload"]["time"] in times:
                wanted[record["requestPayload"]["time"]] = record
    return list(wanted.values())


def test_reading_the_trigger_time_counts_the_triggered_window_even_when_queued(
    logs: Path,
) -> None:
    emulator = start("app:right", logs)
    try:
        fire_all(emulator, [*TRIGGERS, CORRUPT])
        finished = wait_finished(emulator, 3)
        endpoint = aws_endpoint(emulator)
        results = results_of(endpoint, list(TRIGGERS))
        failures = [body(m) for m in messages(endpoint, "timer-failures", 1)]
    finally:
        emulator.stop()

    counted = {r["requestPayload"]["time"]: r["responsePayload"] for r in results}
    assert counted == {
        when: {"window": window, "lines": lines} for when, (window, lines) in TRIGGERS.items()
    }
    # One instance, half-second runs: the later events waited in the queue for the earlier.
    # An ordering, not a duration: each first attempt started once the one before it ended.
    firsts = sorted((e["attempts"][0] for e in finished), key=started_at)
    for earlier, later in itertools.pairwise(firsts):
        ended = started_at(earlier) + timedelta(milliseconds=earlier["durationMs"])
        assert started_at(later) >= ended - timedelta(milliseconds=100)
    assert max(a["queuedSeconds"] for a in firsts) > 0
    (failure,) = failures
    assert failure["requestPayload"]["time"] == CORRUPT
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert failure["responsePayload"]["errorType"] == "UnicodeDecodeError"


def test_reading_the_clock_counts_the_minute_the_event_happened_to_run_in(logs: Path) -> None:
    emulator = start("app:wrong", logs)
    try:
        fire_all(emulator, list(TRIGGERS))
        wait_finished(emulator, 2)
        results = results_of(aws_endpoint(emulator), list(TRIGGERS))
    finally:
        emulator.stop()

    for result in results:
        window = result["responsePayload"]["window"]
        expected, _ = TRIGGERS[result["requestPayload"]["time"]]
        assert window != expected  # the bug: the window moved with the queue
        assert not window.startswith("2026-01-01")
