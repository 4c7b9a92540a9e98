"""A SAM template's S3 and SNS events, its function's DeadLetterQueue and a ScheduleV2's own
RetryPolicy / DeadLetterConfig, under `faasgi serve --template`.

Oracles: the sample S3 and SNS events Lambda receives (tests/fixtures/events, from
aws-powertools' test events) for the events' shape; S3's notification content structure
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html);
the template's own key filter and retry settings; Lambda's dead-letter queue message
attributes (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from faasgi.testing.emulator import Emulator
from tests.local.asyncinv.conftest import aws_endpoint, messages, sqs, trigger, wait_finished

pytest.importorskip("samtranslator")
pytest.importorskip("boto3")
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).parent / "project"
SAMPLES = Path(__file__).parents[2] / "fixtures/events/aws-powertools-lambda-python"


def calls(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_calls(path: Path, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while len(calls(path)) < count:
        assert time.monotonic() < deadline, f"only {calls(path)}"
        time.sleep(0.1)
    return calls(path)


def client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def keys_of(value: Any) -> Any:
    """The shape of a JSON value: its keys, at every depth (values left out)."""
    if isinstance(value, dict):
        return {k: keys_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys_of(v) for v in value[:1]]
    return None


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    log = tmp_path_factory.mktemp("sources") / "calls.jsonl"
    running = Emulator(
        f"--template={PROJECT / 'template.yaml'}",
        "--invoke-port",
        "0",
        "--no-dynamodb",
        "--retry-delay",
        "0.1",
        env={"CALLS_LOG": str(log)},
    )
    running.start()
    try:
        yield running, log, aws_endpoint(running)
    finally:
        running.stop()


def test_an_object_put_into_the_bucket_invokes_the_function_with_s3s_event(emulator: Any) -> None:
    running, log, endpoint = emulator
    running.wait_for(
        r"^  source     Upload: S3 bucket uploads \(s3:ObjectCreated:\*, prefix incoming/"
    )
    s3 = client("s3", endpoint)
    s3.put_object(Bucket="uploads", Key="other/skip.txt", Body=b"no: prefix")
    s3.put_object(Bucket="uploads", Key="incoming/skip.csv", Body=b"no: suffix")
    s3.put_object(Bucket="uploads", Key="incoming/a b.txt", Body=b"hello")
    before = len(calls(log))
    found = [c["event"] for c in wait_calls(log, before + 1)[before:]]
    # Let any wrongly delivered object show up too, then check there was only the one.
    s3.put_object(Bucket="uploads", Key="incoming/last.txt", Body=b"x")
    seen = [c["event"] for c in wait_calls(log, before + 2)]
    s3_events = [
        e for e in seen if "Records" in e and e["Records"][0].get("eventSource") == "aws:s3"
    ]
    keys = [e["Records"][0]["s3"]["object"]["key"] for e in s3_events]
    # S3 URL-encodes the key ("red flower.jpg" becomes "red+flower.jpg", same page).
    assert "a+b.txt" in keys[0]
    assert [unquote_plus(key) for key in keys] == ["incoming/a b.txt", "incoming/last.txt"]
    (record,) = found[0]["Records"]
    sample = json.loads((SAMPLES / "s3Event.json").read_text())["Records"][0]
    assert keys_of(record) == keys_of(sample)
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == "uploads"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::uploads"
    assert record["s3"]["object"]["size"] == 5


def test_a_message_published_to_the_topic_invokes_the_function_with_snss_event(
    emulator: Any,
) -> None:
    _, log, endpoint = emulator
    before = len(calls(log))
    client("sns", endpoint).publish(
        TopicArn="arn:aws:sns:us-east-1:123456789012:alerts",
        Message="disk full",
        Subject="alert",
        MessageAttributes={"level": {"DataType": "String", "StringValue": "high"}},
    )
    (call,) = wait_calls(log, before + 1)[before:]
    (record,) = call["event"]["Records"]
    sample = json.loads((SAMPLES / "snsEvent.json").read_text())["Records"][0]
    assert keys_of(record) == {
        **keys_of(sample),
        "Sns": {
            **keys_of(sample)["Sns"],
            "MessageAttributes": {"level": {"Type": None, "Value": None}},
        },
    }
    assert record["EventSource"] == "aws:sns"
    assert record["Sns"]["Message"] == "disk full"
    assert record["Sns"]["Subject"] == "alert"
    assert record["Sns"]["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:alerts"
    assert record["Sns"]["MessageAttributes"] == {"level": {"Type": "String", "Value": "high"}}


def test_a_failed_scheduled_event_goes_to_the_functions_dlq_not_the_schedules(
    emulator: Any,
) -> None:
    running, log, endpoint = emulator
    running.wait_for(r"^  DLQ        sqs:job-dlq$")
    running.wait_for(r"^  delivery   Broken: 3 delivery retries, for 120 s, DeadLetterConfig ")
    before = len([c for c in calls(log) if c["event"] == {"fail": True}])
    fired = trigger(running, "Broken")
    assert fired.returncode == 0, fired.stderr
    (message,) = messages(endpoint, "job-dlq", 1)
    # The function's layer: EventInvokeConfig MaximumRetryAttempts 1, so two runs; the
    # DLQ gets the event itself with Lambda's attributes.
    failing = [c for c in calls(log) if c["event"] == {"fail": True}]
    assert len(failing) - before == 2
    assert json.loads(message["Body"]) == {"fail": True}
    attributes = message["MessageAttributes"]
    assert attributes["RequestID"]["StringValue"] == failing[-1]["id"]
    assert "failed on purpose" in attributes["ErrorMessage"]["StringValue"]
    # The schedule's own DeadLetterConfig is for events Scheduler could not hand to
    # Lambda: its queue exists and stays empty.
    queue = sqs(endpoint).get_queue_url(QueueName="JobBrokenQueue")["QueueUrl"]
    answer = sqs(endpoint).receive_message(QueueUrl=queue, WaitTimeSeconds=0)
    assert answer.get("Messages", []) == []
    wait_finished(running, 1)
