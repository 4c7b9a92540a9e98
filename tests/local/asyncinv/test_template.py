"""Schedules and asynchronous settings read from a SAM template and an s.yaml by
`faasgi serve --template`: a Schedule event fires on `faasgi trigger` with the classic rule's
event, a ScheduleV2 with its Input, EventInvokeConfig's retries and destinations apply
(moto SQS), and an s.yaml timer trigger sends FC's timer event with its payload, retried as
its asyncInvokeConfig says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faasgi.testing.emulator import Emulator
from tests.local.asyncinv.conftest import aws_endpoint, body, messages, trigger, wait_finished

pytest.importorskip("samtranslator")
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).parent / "project"


def seen(calls: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


def start(template: str, calls: Path) -> Emulator:
    emulator = Emulator(
        f"--template={PROJECT / template}",
        "--invoke-port",
        "0",
        "--no-dynamodb",
        "--retry-delay",
        "0.1",
        env={"CALLS_LOG": str(calls)},
    )
    emulator.start()
    return emulator


def test_a_sam_templates_schedules_and_event_invoke_config_run(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    emulator = start("template.yaml", calls)
    try:
        emulator.wait_for(r"^  schedule   Nightly: cron\(0 3 \* \* \? \*\)$")
        emulator.wait_for(r"^  OnFailure  sqs:job-failures$")
        nightly = trigger(emulator, "Nightly", "--time", "2026-01-01T03:00:00Z")
        broken = trigger(emulator, "Broken")
        assert nightly.returncode == broken.returncode == 0, nightly.stderr + broken.stderr
        wait_finished(emulator, 2)
        endpoint = aws_endpoint(emulator)
        (result,) = [body(m) for m in messages(endpoint, "job-results", 1)]
        (failure,) = [body(m) for m in messages(endpoint, "job-failures", 1)]
    finally:
        emulator.stop()

    events = [c["event"] for c in seen(calls)]
    rule = next(e for e in events if e.get("source") == "aws.events")
    assert rule["detail-type"] == "Scheduled Event"
    assert rule["time"] == "2026-01-01T03:00:00Z"
    assert rule["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/Nightly"]
    assert events.count({"fail": True}) == 2  # MaximumRetryAttempts: 1
    assert result["requestPayload"]["time"] == "2026-01-01T03:00:00Z"
    assert result["responsePayload"] == {"done": True}
    assert failure["requestPayload"] == {"fail": True}
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["requestContext"]["functionArn"].endswith(":function:Job:$LATEST")


def test_an_s_yaml_timer_trigger_sends_fcs_event_and_honours_async_invoke_config(
    tmp_path: Path,
) -> None:
    calls = tmp_path / "calls.jsonl"
    emulator = start("s.yaml", calls)
    try:
        emulator.wait_for(r"^  schedule   every-morning: 0 0 4 \* \* \*")
        fired = trigger(emulator, "every-morning", "--time", "2026-01-01T04:00:00Z")
        assert fired.returncode == 0, fired.stderr
        (event,) = wait_finished(emulator, 1)
    finally:
        emulator.stop()

    assert [c["event"] for c in seen(calls)] == [
        {"triggerTime": "2026-01-01T04:00:00Z", "triggerName": "every-morning", "payload": "fail"}
    ] * 2  # maxAsyncRetryAttempts: 1
    assert (event["state"], event["maxAttempts"]) == ("failed", 2)
