"""The async queue in-process, with a scripted pool: how many attempts a failing event gets,
with which request id and how far apart, what a too-old event becomes, and the invocation
record a destination receives. Expected values are the platforms' documented behaviour:
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html,
https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/error-handling-1-2."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from faasgi.local.asyncinvoke import AsyncFunction, AsyncInvoker, platform_policy
from faasgi.local.destinations import (
    DestinationError,
    Destinations,
    invocation_record,
    parse_destination,
)
from faasgi.local.pool import Outcome

ARN = "arn:aws:lambda:us-east-1:123456789012:function:job:$LATEST"
ERROR = json.dumps({"errorMessage": "boom", "errorType": "RuntimeError", "stackTrace": []})


class ScriptedPool:
    """Answers each invocation with the next scripted failure kind (None: success)."""

    def __init__(self, *script: str | None, hold: float = 0.0) -> None:
        self.script = list(script)
        self.calls: list[tuple[str, bytes, float]] = []
        self.hold = hold

    async def invoke(self, request_id: str, event: bytes, patience: float | None = None) -> Outcome:
        self.calls.append((request_id, event, time.monotonic()))
        failure = self.script.pop(0) if self.script else None
        if self.hold:
            await asyncio.sleep(self.hold)
        if failure == "throttled":
            await asyncio.sleep(patience or 0)
            return Outcome("", False, None, 0.0, (patience or 0) * 1000, failure="throttled")
        payload = ERROR.encode() if failure == "error" else b'{"ok": true}'
        return Outcome("i-0001", False, None, 1.0, 0.0, payload, failure, "detail")


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 30))


async def finish(invoker: AsyncInvoker) -> None:
    while invoker.pending():
        await asyncio.sleep(0.005)


def one(pool: ScriptedPool, **policy: Any) -> tuple[AsyncInvoker, list[Any]]:
    delivered: list[Any] = []
    invoker = AsyncInvoker(
        {"job": AsyncFunction("job", pool, platform_policy("aws", **policy), ARN)}
    )

    async def deliver(event: Any, target: Any) -> None:
        delivered.append(invocation_record(event, target))

    invoker.deliver = deliver
    return invoker, delivered


def test_a_failing_event_is_tried_three_times_with_the_same_request_id_and_event() -> None:
    pool = ScriptedPool("error", "crash", "timeout")
    invoker, delivered = one(pool, retry_delay=0.05)

    async def scenario() -> Any:
        event = invoker.submit("job", b'{"n": 1}')
        await finish(invoker)
        return event

    event = run(scenario())
    assert [c[0] for c in pool.calls] == [event.request_id] * 3
    assert [c[1] for c in pool.calls] == [b'{"n": 1}'] * 3
    assert event.state == "failed"
    (record,) = delivered
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3


def test_retries_keep_lambdas_spacing_one_then_two_units() -> None:
    pool = ScriptedPool("error", "error", "error")
    invoker, _ = one(pool, retry_delay=0.2)

    async def scenario() -> None:
        invoker.submit("job", b"{}")
        await finish(invoker)

    run(scenario())
    first, second, third = (c[2] for c in pool.calls)
    assert second - first >= 0.2
    assert third - second >= 0.4  # Lambda: 1 minute, then 2 minutes


def test_lambdas_defaults_are_two_retries_a_minute_then_two_apart_and_six_hours() -> None:
    policy = platform_policy("aws")
    assert (policy.max_retries, policy.delay(1), policy.delay(2), policy.max_age) == (
        2,
        60.0,
        120.0,
        21600.0,
    )
    fc = platform_policy("fc")
    assert (fc.max_retries, fc.max_age) == (3, 86400.0)


def test_maximum_retry_attempts_zero_means_one_attempt() -> None:
    pool = ScriptedPool("error", "error")
    invoker, delivered = one(pool, retry_delay=0.01, max_retries=0)

    async def scenario() -> None:
        invoker.submit("job", b"{}")
        await finish(invoker)

    run(scenario())
    assert len(pool.calls) == 1
    assert delivered[0]["requestContext"]["approximateInvokeCount"] == 1


def test_a_retry_that_succeeds_ends_in_success_with_its_answer() -> None:
    pool = ScriptedPool("error", None)
    invoker, delivered = one(pool, retry_delay=0.01)

    async def scenario() -> None:
        invoker.submit("job", b'{"n": 2}')
        await finish(invoker)

    run(scenario())
    (record,) = delivered
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responsePayload"] == {"ok": True}
    assert record["requestPayload"] == {"n": 2}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}


def test_an_event_that_waits_past_its_maximum_age_is_dropped_and_reported() -> None:
    pool = ScriptedPool("throttled")  # no instance frees up in time
    invoker, delivered = one(pool, max_age=0.2)

    async def scenario() -> Any:
        event = invoker.submit("job", b"{}")
        await finish(invoker)
        return event

    event = run(scenario())
    assert (event.state, event.condition, event.attempts) == ("expired", "EventAgeExceeded", [])
    (record,) = delivered
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responsePayload" not in record


def test_a_retry_due_after_the_maximum_age_is_not_run() -> None:
    pool = ScriptedPool("error", "error", "error")
    invoker, delivered = one(pool, retry_delay=0.5, max_age=0.2)

    async def scenario() -> None:
        invoker.submit("job", b"{}")
        await finish(invoker)

    run(scenario())
    assert len(pool.calls) == 1
    assert delivered[0]["requestContext"]["condition"] == "EventAgeExceeded"


def test_the_failure_record_has_the_documented_fields() -> None:
    pool = ScriptedPool("error", "error", "error")
    invoker, delivered = one(pool, retry_delay=0.01)

    async def scenario() -> None:
        invoker.submit("job", b'{"ORDER_IDS": ["9e07af03"]}')
        await finish(invoker)

    run(scenario())
    (record,) = delivered
    assert list(record) == [
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    ]
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    assert record["requestContext"]["functionArn"] == ARN
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorMessage"] == "boom"


def test_an_fc_record_has_epoch_milliseconds_and_no_version() -> None:
    pool = ScriptedPool(None)
    policy = platform_policy("fc")
    invoker = AsyncInvoker({"job": AsyncFunction("job", pool, policy, "acs:fc:::functions/job")})
    records: list[Any] = []

    async def deliver(event: Any, target: Any) -> None:
        records.append(invocation_record(event, target))

    invoker.deliver = deliver

    async def scenario() -> None:
        invoker.submit("job", b"{}")
        await finish(invoker)

    run(scenario())
    (record,) = records
    assert "version" not in record
    assert isinstance(record["timestamp"], int)
    assert record["responseContext"] == {"statusCode": 200}


def test_a_function_destination_receives_the_record_as_its_event() -> None:
    failing = ScriptedPool("error")
    receiver = ScriptedPool(None)
    invoker = AsyncInvoker(
        {
            "job": AsyncFunction(
                "job",
                failing,
                platform_policy("aws", max_retries=0, on_failure="function:audit"),
                ARN,
            ),
            "audit": AsyncFunction("audit", receiver, platform_policy("aws"), ARN),
        }
    )
    Destinations(invoker, None)

    async def scenario() -> None:
        invoker.submit("job", b'{"n": 3}')
        while len(invoker.events) < 2 or invoker.pending():
            await asyncio.sleep(0.005)

    run(scenario())
    (call,) = receiver.calls
    record = json.loads(call[1])
    assert record["requestPayload"] == {"n": 3}
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert invoker.events[0].delivered == ["OnFailure function:audit"]


def test_queued_events_run_in_order_and_report_their_wait() -> None:
    pool = ScriptedPool(None, None, hold=0.0)
    invoker, _ = one(pool)

    async def scenario() -> None:
        first = invoker.submit("job", b"1")
        second = invoker.submit("job", b"2")
        await finish(invoker)
        assert [c[1] for c in pool.calls] == [b"1", b"2"]
        assert first.attempts[0].queued >= 0 and second.attempts[0].queued >= 0

    run(scenario())


@pytest.mark.parametrize(
    ("text", "kind", "name"),
    [
        ("arn:aws:sqs:us-east-1:123456789012:failures", "sqs", "failures"),
        ("arn:aws:sns:us-east-1:123456789012:alerts", "sns", "alerts"),
        ("arn:aws:events:us-east-1:123456789012:event-bus/default", "events", "default"),
        ("arn:aws:lambda:us-east-1:123456789012:function:audit:$LATEST", "function", "audit"),
        ("acs:fc:cn-hangzhou:123:functions/audit", "function", "audit"),
        ("sqs:failures", "sqs", "failures"),
    ],
)
def test_destinations_are_read_from_arns(text: str, kind: str, name: str) -> None:
    found = parse_destination(text)
    assert (found.kind, found.name) == (kind, name)


def test_destinations_the_emulator_cannot_reach_are_refused() -> None:
    with pytest.raises(DestinationError, match="MNS"):
        parse_destination("acs:mns:cn-hangzhou:123:/queues/q/messages")
    with pytest.raises(DestinationError):
        parse_destination("s3:bucket")
