"""Non-HTTP events routed to plain functions, and trigger times read from events:
triggers.py and Handler.on()."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from faasgi import Invocation, Record, UnsupportedEvent, serverless
from faasgi.triggers import kind_of, trigger_epoch_ms
from tests.conftest import EVENTS, load_event

POWERTOOLS = EVENTS / "aws-powertools-lambda-python"


def noop_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:  # pragma: no cover
    raise AssertionError("the web app must not be called for a non-HTTP event")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# Each fixture's time, read by hand from the file.
TIMES = [
    (POWERTOOLS / "apiGatewayProxyEvent.json", 1583349317135),
    (POWERTOOLS / "apiGatewayProxyV2Event.json", 1583348638390),
    (POWERTOOLS / "vpcLatticeV2Event.json", 1696331543569),
    (EVENTS / "alibaba-fc" / "fc3-http-get.json", 1731314466123),
    (POWERTOOLS / "eventBridgeEvent.json", int(utc("2017-12-22T18:43:48").timestamp() * 1000)),
    (POWERTOOLS / "sqsEvent.json", 1545082649183),
    (POWERTOOLS / "s3Event.json", int(utc("2019-09-03T19:37:27.192").timestamp() * 1000)),
    (POWERTOOLS / "snsEvent.json", int(utc("2019-01-02T12:45:07").timestamp() * 1000)),
    (POWERTOOLS / "dynamoStreamEvent.json", 1693997155000),
]


@pytest.mark.parametrize(("path", "epoch_ms"), TIMES, ids=lambda v: getattr(v, "name", ""))
def test_trigger_time_is_read_from_each_event(path: Path, epoch_ms: int) -> None:
    assert trigger_epoch_ms(load_event(path)) == epoch_ms


def test_alb_events_carry_no_time() -> None:
    assert trigger_epoch_ms(load_event(POWERTOOLS / "albEvent.json")) is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("sqsEvent.json", "sqs"),
        ("snsEvent.json", "sns"),
        ("s3Event.json", "s3"),
        ("dynamoStreamEvent.json", "dynamodb-stream"),
        ("eventBridgeEvent.json", "eventbridge"),
        ("apiGatewayAuthorizerTokenEvent.json", "authorizer"),
    ],
)
def test_kind_of_fixture(name: str, kind: str) -> None:
    assert kind_of(load_event(POWERTOOLS / name)) == kind


def scheduled(time: str) -> dict[str, Any]:
    event = load_event(EVENTS / "aws-sam-cli" / "cloudwatch" / "ScheduledEvent.json")
    event["time"] = time
    return event


def test_scheduled_function_sees_each_event_time_not_the_init_time() -> None:
    handler = serverless(noop_app)
    windows: list[datetime] = []

    @handler.on("schedule")
    def every_hour(event: dict[str, Any], invocation: Invocation) -> dict[str, str]:
        windows.append(invocation.trigger_time)
        return {"processed": invocation.trigger_time.isoformat()}

    first = handler(scheduled("2024-05-01T10:00:00Z"), None)
    second = handler(scheduled("2024-05-01T11:00:00Z"), None)
    assert windows == [utc("2024-05-01T10:00:00"), utc("2024-05-01T11:00:00")]
    assert first == {"processed": "2024-05-01T10:00:00+00:00"}
    assert second["processed"] != first["processed"]


def test_keep_warm_schedule_is_answered_without_the_app() -> None:
    handler = serverless(noop_app, lazy=True)
    assert handler(scheduled("2024-05-01T10:00:00Z"), None) == {"warm": True, "cold": True}
    assert handler({"source": "serverless-plugin-warmup"}, None) == {"warm": True, "cold": False}


def sqs_event(*bodies: str) -> dict[str, Any]:
    template = load_event(POWERTOOLS / "sqsEvent.json")["Records"][0]
    return {
        "Records": [
            {**template, "messageId": f"m{i}", "body": body} for i, body in enumerate(bodies)
        ]
    }


def test_sqs_records_are_handled_one_by_one_with_partial_batch_failures() -> None:
    handler = serverless(noop_app)
    handled: list[tuple[str, str]] = []

    @handler.on("sqs")
    def consume(record: Record, invocation: Invocation) -> None:
        if record.body == "bad":
            raise ValueError("cannot parse")
        handled.append((record.id, record.body))
        assert record.time == datetime.fromtimestamp(1545082649.183, tz=timezone.utc)

    answer = handler(sqs_event("a", "bad", "c"), None)
    assert handled == [("m0", "a"), ("m2", "c")]
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_stream_records_stop_at_the_first_failure() -> None:
    event = load_event(POWERTOOLS / "dynamoStreamEvent.json")
    handler = serverless(noop_app)
    seen: list[str] = []

    @handler.on("dynamodb-stream")
    def apply(record: Record, invocation: Invocation) -> None:
        seen.append(record.id)
        raise RuntimeError("downstream unavailable")

    first_sequence = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": first_sequence}]}
    assert seen == [first_sequence]


def test_async_sources_raise_so_the_platform_retries() -> None:
    handler = serverless(noop_app)

    @handler.on("s3")
    def resize(record: Record, invocation: Invocation) -> None:
        assert record.body["object"]["key"] == "b21b84d653bb07b05b1e6b33684dc11b"
        raise OSError("storage busy")

    with pytest.raises(OSError, match="storage busy"):
        handler(load_event(POWERTOOLS / "s3Event.json"), None)


def test_async_route_functions_are_awaited() -> None:
    handler = serverless(noop_app)

    @handler.on("sns")
    async def notify(record: Record, invocation: Invocation) -> None:
        await asyncio.sleep(0)
        notified.append(record.body)

    notified: list[str] = []
    handler(load_event(POWERTOOLS / "snsEvent.json"), None)
    assert notified == ["Hello from SNS!"]


def test_catch_all_route_and_fc_timer() -> None:
    handler = serverless(noop_app)

    @handler.on("*")
    def anything(event: dict[str, Any], invocation: Invocation) -> str:
        return f"{invocation.source} {invocation.trigger_time:%H:%M}"

    timer = {"triggerTime": "2024-05-01T08:30:00Z", "triggerName": "hourly", "payload": "x"}
    assert handler(json.dumps(timer).encode(), None) == "fc-timer 08:30"
    assert handler({"something": "else"}, None).startswith("event ")


def test_unknown_event_without_a_route_is_unsupported_and_names_what_it_saw() -> None:
    handler = serverless(noop_app)
    with pytest.raises(UnsupportedEvent, match=r"kind: sqs.*Records"):
        handler(sqs_event("a"), None)
    with pytest.raises(UnsupportedEvent, match="kind: unknown"):
        handler({"hello": "world"}, None)


def test_unknown_kind_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        serverless(noop_app).on("cron")
