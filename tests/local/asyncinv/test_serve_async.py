"""`faasgi serve`'s async side over real HTTP and real processes: Lambda's Invoke API with
`InvocationType=Event`, retries of exceptions, crashes and timeouts with the same request id,
queueing at `--max-instances`, `--max-event-age`, FC timers, `faasgi trigger`, and results
delivered to moto's SQS, SNS and EventBridge.

What the function saw is read from the log it writes (CALLS_LOG), not from the emulator."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from faasgi.testing.emulator import Emulator
from tests.local.asyncinv.conftest import (
    FAASGI,
    aws_endpoint,
    body,
    messages,
    sqs,
    started_at,
    trigger,
    wait_finished,
)
from tests.local.conftest import ROOT

pytestmark = pytest.mark.slow

HANDLER = "tests.local.asyncinv.flaky:handler"
INVOKE = "/2015-03-31/functions/flaky/invocations"

Start = Callable[..., Emulator]


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    return tmp_path / "calls.jsonl"


@pytest.fixture
def start(calls: Path) -> Iterator[Start]:
    started: list[Emulator] = []

    def go(*options: str) -> Emulator:
        emulator = Emulator(
            HANDLER, "--no-dynamodb", *options, cwd=str(ROOT), env={"CALLS_LOG": str(calls)}
        )
        started.append(emulator)
        emulator.start()
        return emulator

    yield go
    for emulator in started:
        emulator.stop()


def seen(calls: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


def invoke_async(emulator: Emulator, event: dict[str, Any]) -> str:
    answer = httpx.post(
        emulator.url + INVOKE,
        json=event,
        headers={"X-Amz-Invocation-Type": "Event"},
        timeout=30,
    )
    assert answer.status_code == 202
    assert answer.content == b""
    return answer.headers["x-amzn-requestid"]


def test_exceptions_crashes_and_timeouts_are_retried_with_the_same_request_id(
    start: Start, calls: Path
) -> None:
    emulator = start(
        "--retry-delay",
        "0.2",
        "--timeout",
        "2.5",  # a cold start on a loaded machine must not time out
        "--dead-letter",
        "sqs:dlq",
        "--on-failure",
        "arn:aws:sqs:us-east-1:123456789012:failures",
    )
    ids = {
        mode: invoke_async(emulator, {"mode": mode, **extra})
        for mode, extra in (("fail", {}), ("crash", {}), ("sleep", {"seconds": 30}))
    }
    finished = wait_finished(emulator, 3)
    endpoint = aws_endpoint(emulator)
    failures = [body(m) for m in messages(endpoint, "failures", 3)]
    dead = messages(endpoint, "dlq", 3)

    for mode, request_id in ids.items():
        attempts = [c for c in seen(calls) if c["id"] == request_id]
        assert len(attempts) == 3, mode  # the first try and Lambda's two retries
        assert {json.dumps(c["event"]) for c in attempts} == {json.dumps(attempts[0]["event"])}
    results = {e["requestId"]: [a["result"] for a in e["attempts"]] for e in finished}
    assert results[ids["fail"]] == ["error"] * 3
    assert results[ids["crash"]] == ["crash"] * 3
    assert results[ids["sleep"]] == ["timeout"] * 3
    by_id = {f["requestContext"]["requestId"]: f for f in failures}
    assert set(by_id) == set(ids.values())
    assert by_id[ids["fail"]]["responsePayload"]["errorType"] == "RuntimeError"
    assert all(f["requestContext"]["approximateInvokeCount"] == 3 for f in failures)
    # The dead-letter queue gets the event itself, with the documented attributes.
    letters = {m["MessageAttributes"]["RequestID"]["StringValue"]: m for m in dead}
    assert set(letters) == set(ids.values())
    letter = letters[ids["fail"]]
    assert json.loads(letter["Body"]) == {"mode": "fail"}
    assert letter["MessageAttributes"]["ErrorCode"]["DataType"] == "Number"
    assert "failed on purpose" in letter["MessageAttributes"]["ErrorMessage"]["StringValue"]
    emulator.wait_for(rf"async flaky {ids['fail']} attempt 3/3 i-\w+ (cold|warm) .*error=error")


def test_events_queue_at_the_instance_limit_and_expire_past_their_maximum_age(
    start: Start, calls: Path
) -> None:
    emulator = start("--max-instances", "1", "--max-event-age", "1.5", "--on-failure", "sqs:late")
    running = invoke_async(emulator, {"mode": "sleep", "seconds": 0.5})
    queued = invoke_async(emulator, {"mode": "sleep", "seconds": 0})
    finished = wait_finished(emulator, 2)
    # Now the only instance is warm: hold it longer than the next event may live.
    holder = invoke_async(emulator, {"mode": "sleep", "seconds": 2.5})
    emulator.wait_for(rf"async flaky {holder} accepted")
    deadline = time.monotonic() + 60
    while not [c for c in seen(calls) if c["id"] == holder]:  # busy once it logged the call
        assert time.monotonic() < deadline
        time.sleep(0.05)
    expired = invoke_async(emulator, {"mode": "never runs"})
    finished = wait_finished(emulator, 4)
    late = [body(m) for m in messages(aws_endpoint(emulator), "late", 1)]

    state = {e["requestId"]: e for e in finished}
    assert state[running]["attempts"][0]["queuedSeconds"] < 0.5 + 30
    # It waited for the first run: it started only once that run had ended. (An ordering,
    # not a duration: on a loaded machine the second event is accepted late.)
    first, second = state[running]["attempts"][0], state[queued]["attempts"][0]
    first_ended = started_at(first) + timedelta(milliseconds=first["durationMs"])
    assert started_at(second) >= first_ended - timedelta(milliseconds=100)
    assert second["queuedSeconds"] > 0
    emulator.wait_for(rf"async flaky {queued} attempt 1/3 i-\w+ \w+ queued=\d+\.\ds")
    assert state[expired]["state"] == "expired"
    assert state[expired]["attempts"] == []
    assert expired not in {c["id"] for c in seen(calls)}
    emulator.wait_for(rf"async flaky {expired} dropped: older than 1.5 s")
    (record,) = late
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["requestId"] == expired


def test_the_invoke_api_answers_synchronous_calls_and_instances_reach_moto(
    start: Start,
) -> None:
    emulator = start("--on-success", "sqs:done")
    answer = httpx.post(emulator.url + INVOKE, json={"mode": "env"}, timeout=60)
    failed = httpx.post(emulator.url + INVOKE, json={"mode": "fail"}, timeout=60)
    dry = httpx.post(emulator.url + INVOKE, headers={"X-Amz-Invocation-Type": "DryRun"}, timeout=60)
    missing = httpx.post(emulator.url + "/2015-03-31/functions/other/invocations", timeout=60)
    by_arn = httpx.post(
        emulator.url + "/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:flaky:$LATEST/invocations",
        json={"mode": "ok"},
        timeout=60,
    )

    assert answer.status_code == 200
    assert answer.json() == {"AWS_ENDPOINT_URL": aws_endpoint(emulator), "AWS_REGION": "us-east-1"}
    assert failed.status_code == 200
    assert failed.headers["x-amz-function-error"] == "Unhandled"
    assert failed.json()["errorType"] == "RuntimeError"
    assert dry.status_code == 204
    assert missing.status_code == 404
    assert by_arn.json() == {"ok": True, "event": {"mode": "ok"}}

    # boto3's Lambda client, pointed at the emulator, reads both answers as Lambda's.
    import boto3

    client = boto3.client(
        "lambda",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    queued = client.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"mode": "ok"}')
    assert queued["StatusCode"] == 202
    raised = client.invoke(FunctionName="flaky", Payload=b'{"mode": "fail"}')
    assert (raised["StatusCode"], raised["FunctionError"]) == (200, "Unhandled")
    assert json.loads(raised["Payload"].read())["errorMessage"] == "failed on purpose"


def test_sns_and_eventbridge_destinations_deliver_the_record(start: Start) -> None:
    emulator = start(
        "--max-retry-attempts",
        "0",
        "--on-success",
        "sns:results",
        "--on-failure",
        "events:default",
    )
    endpoint = aws_endpoint(emulator)
    import boto3

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    queues = sqs(endpoint)
    arns = {}
    for name in ("from-sns", "from-events"):
        url = queues.create_queue(QueueName=name)["QueueUrl"]
        arns[name] = queues.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    client("sns").subscribe(
        TopicArn="arn:aws:sns:us-east-1:123456789012:results",
        Protocol="sqs",
        Endpoint=arns["from-sns"],
        Attributes={"RawMessageDelivery": "true"},
    )
    events = client("events")
    events.put_rule(Name="results", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="results", Targets=[{"Id": "q", "Arn": arns["from-events"]}])

    ok = invoke_async(emulator, {"mode": "ok"})
    bad = invoke_async(emulator, {"mode": "fail"})
    wait_finished(emulator, 2)
    (from_sns,) = [body(m) for m in messages(endpoint, "from-sns", 1)]
    (from_events,) = [body(m) for m in messages(endpoint, "from-events", 1)]

    assert from_sns["requestContext"]["requestId"] == ok
    assert from_sns["requestContext"]["condition"] == "Success"
    assert from_sns["responsePayload"] == {"ok": True, "event": {"mode": "ok"}}
    assert from_events["source"] == "lambda"
    assert from_events["detail-type"] == "Lambda Function Invocation Result - Failure"
    assert from_events["detail"]["requestContext"]["requestId"] == bad
    assert from_events["detail"]["requestContext"]["approximateInvokeCount"] == 1


def test_an_fc_timer_fires_on_trigger_with_fcs_event(start: Start, calls: Path) -> None:
    emulator = start(
        "--source", "fc-http", "--timer", "nightly=0 0 4 * * *", "--timer-payload", "hi"
    )
    emulator.wait_for(r"^  schedule   nightly: 0 0 4 \* \* \*")
    done = trigger(emulator, "nightly", "--time", "2026-01-01T04:00:00Z")
    assert done.returncode == 0, done.stderr
    request_id = re.search(r"request id (\S+),", done.stdout).group(1)  # type: ignore[union-attr]
    wait_finished(emulator, 1)

    (call,) = seen(calls)
    assert call["id"] == request_id
    assert call["event"] == {
        "triggerTime": "2026-01-01T04:00:00Z",
        "triggerName": "nightly",
        "payload": "hi",
    }
    page = httpx.get(emulator.url + "/_faasgi/async", timeout=30)
    assert page.headers["content-type"].startswith("text/html")
    assert request_id in page.text and "timer nightly" in page.text
    assert "attempt 1 of 4: success" in page.text  # FC: 3 retries by default

    unknown = trigger(emulator, "daily")
    assert unknown.returncode == 2
    assert "no schedule named 'daily'; schedules: nightly" in unknown.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--timer", "0 0 4 * * *"], "--source fc-http"),
        (["--source", "fc-http", "--schedule", "rate(1 minute)"], "--timer"),
        (["--schedule", "cron(0 10 * * * *)"], "must be '\\?'"),
        (["--max-retry-attempts", "3"], "0-2"),
        (["--on-failure", "s3:bucket"], "destination"),
        (["--dead-letter", "events:default"], "SQS or SNS"),
        (["--on-success", "function:flaky"], "another function"),
    ],
)
def test_async_mistakes_are_one_line_usage_errors(options: list[str], message: str) -> None:
    done = subprocess.run(
        [*FAASGI, "serve", HANDLER, "--no-dynamodb", "--port", "0", *options],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        timeout=60,
    )
    assert done.returncode == 2
    assert re.search(message, done.stderr)
    assert "Traceback" not in done.stderr


def test_trigger_without_an_emulator_says_so() -> None:
    done = subprocess.run(
        [*FAASGI, "trigger", "x", "--port", "9"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "no emulator at 127.0.0.1:9" in done.stderr
