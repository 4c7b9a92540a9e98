"""FC's asynchronous invocation over HTTP: `X-Fc-Invocation-Type: Async` on an HTTP trigger
request answers 202 at once and runs the function in the background with the HTTP trigger
event (https://help.aliyun.com/en/functioncompute/do-http-requests-support-asynchronous-invocations-and-how-to-obtain-invocation-results;
202 from the HTTP trigger overview https://help.aliyun.com/zh/fc/user-guide/overview-36),
from an s.yaml and in `faasgi serve MODULE:HANDLER --source fc-http`; without the header
the request is answered by the function as before."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from faasgi.testing.emulator import Emulator
from tests.local.asyncinv.conftest import wait_finished

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).parent / "project"
SAMPLE = Path(__file__).parents[2] / "fixtures/events/alibaba-fc/fc3-http-post-json.json"


def calls(path: Path, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while True:
        found = (
            [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        )
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


def check_async(url: str, emulator: Emulator, log: Path) -> None:
    sync = httpx.post(url + "/jobs", json={"n": 1}, timeout=30)
    assert (sync.status_code, sync.text) == (200, "ran now")
    queued = httpx.post(
        url + "/jobs", json={"n": 2}, headers={"X-Fc-Invocation-Type": "Async"}, timeout=30
    )
    assert queued.status_code == 202
    assert queued.content == b""
    request_id = queued.headers["x-fc-request-id"]
    _, call = calls(log, 2)
    assert call["id"] == request_id
    event = call["event"]
    sample = json.loads(SAMPLE.read_text())
    assert set(event) == set(sample)  # the HTTP trigger event, as a synchronous request's
    assert event["rawPath"] == "/jobs"
    assert json.loads(event["body"]) == {"n": 2}
    assert event["headers"]["X-Fc-Invocation-Type"] == "Async"
    (finished,) = [e for e in wait_finished(emulator, 1) if e["requestId"] == request_id]
    assert (finished["origin"], finished["state"]) == ("FC HTTP Async", "succeeded")


def test_an_s_yaml_http_trigger_queues_async_requests(tmp_path: Path) -> None:
    # --template needs the template extra (PyYAML and aws-sam-translator), for s.yaml too.
    pytest.importorskip("yaml")
    pytest.importorskip("samtranslator")
    log = tmp_path / "calls.jsonl"
    emulator = Emulator(
        f"--template={PROJECT / 's.yaml'}",
        "--invoke-port",
        "0",
        "--no-dynamodb",
        env={"CALLS_LOG": str(log)},
    )
    emulator.start()
    try:
        emulator.wait_for(r"^    route    GET, POST on every path \(FC HTTP trigger job-http\)")
        check_async(emulator.url, emulator, log)
    finally:
        emulator.stop()


def test_serve_with_source_fc_http_queues_async_requests(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    emulator = Emulator(
        "fcjob:handler",
        "--source",
        "fc-http",
        "--no-dynamodb",
        cwd=str(PROJECT),
        env={"CALLS_LOG": str(log)},
    )
    emulator.start()
    try:
        check_async(emulator.url, emulator, log)
    finally:
        emulator.stop()
