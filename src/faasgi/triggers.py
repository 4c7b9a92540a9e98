"""Non-HTTP events: which kind an event is (schedule, queue, storage, stream), its records,
and when it was triggered, read from the event itself.

The trigger time always comes from the event: a function that reads "now" at init time
processes the same time window on every warm invocation.
"""

from __future__ import annotations

from base64 import b64decode
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

#: Kinds whose events carry a batch of records, each handled on its own.
RECORD_KINDS = frozenset({"sqs", "sns", "s3", "dynamodb-stream", "kinesis", "oss"})
#: Kinds whose failed records are reported back in `batchItemFailures`, not raised.
BATCH_KINDS = frozenset({"sqs", "dynamodb-stream", "kinesis"})
#: Kinds where order matters: processing stops at the first failure.
STREAM_KINDS = frozenset({"dynamodb-stream", "kinesis"})

KINDS = (
    "schedule",
    "eventbridge",
    "sqs",
    "sns",
    "s3",
    "dynamodb-stream",
    "kinesis",
    "fc-timer",
    "oss",
    "warmup",
    "authorizer",
)

_RECORD_SOURCES = {
    "aws:sqs": "sqs",
    "aws:sns": "sns",
    "aws:s3": "s3",
    "aws:dynamodb": "dynamodb-stream",
    "aws:kinesis": "kinesis",
}


def kind_of(event: Mapping[str, Any]) -> str | None:
    """The kind of a non-HTTP event, or None when faasgi does not know its shape."""
    if "methodArn" in event or "routeArn" in event:
        return "authorizer"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        origin = first.get("eventSource") or first.get("EventSource")
        return _RECORD_SOURCES.get(origin) if isinstance(origin, str) else None
    source = event.get("source")
    if "detail-type" in event and source is not None:
        if source == "aws.events" and event["detail-type"] == "Scheduled Event":
            return "schedule"
        return "eventbridge"
    if source == "serverless-plugin-warmup":
        return "warmup"
    if "triggerTime" in event and "triggerName" in event:
        return "fc-timer"
    oss = event.get("events")
    if isinstance(oss, list) and oss and isinstance(oss[0], dict):
        return "oss" if oss[0].get("eventSource") == "acs:oss" else None
    return None


class Record:
    """One record of a batch, with what a handler usually wants already picked out."""

    __slots__ = ("body", "id", "kind", "raw", "time")

    def __init__(
        self, kind: str, id: str, body: Any, time: datetime | None, raw: Mapping[str, Any]
    ) -> None:
        self.kind = kind
        #: The id the platform uses for this record (SQS messageId, stream SequenceNumber...).
        self.id = id
        #: SQS body and SNS Message as text, Kinesis data as bytes, the S3/OSS/DynamoDB
        #: part of the record as a dict.
        self.body = body
        #: When the record was created or sent, read from the record itself.
        self.time = time
        self.raw = raw

    def __repr__(self) -> str:
        return f"<Record {self.kind} {self.id}>"


def records_of(kind: str, event: Mapping[str, Any]) -> list[Record]:
    raw_records = event.get("events") if kind == "oss" else event.get("Records")
    return [_record(kind, raw) for raw in raw_records or ()]


def _record(kind: str, raw: Mapping[str, Any]) -> Record:
    if kind == "sqs":
        sent = (raw.get("attributes") or {}).get("SentTimestamp")
        return Record(kind, raw.get("messageId", ""), raw.get("body"), _from_ms(sent), raw)
    if kind == "sns":
        sns = raw.get("Sns") or {}
        return Record(
            kind, sns.get("MessageId", ""), sns.get("Message"), _iso(sns.get("Timestamp")), raw
        )
    if kind == "dynamodb-stream":
        data = raw.get("dynamodb") or {}
        created = data.get("ApproximateCreationDateTime")
        return Record(kind, str(data.get("SequenceNumber", "")), data, _from_seconds(created), raw)
    if kind == "kinesis":
        data = raw.get("kinesis") or {}
        payload = data.get("data")
        body = b64decode(payload) if isinstance(payload, str) else payload
        arrived = _from_seconds(data.get("approximateArrivalTimestamp"))
        return Record(kind, str(data.get("sequenceNumber", "")), body, arrived, raw)
    # s3, oss: the storage part of the record
    part = raw.get(kind) or {}
    obj = part.get("object") or {}
    identifier = str(obj.get("sequencer") or obj.get("key") or raw.get("eventName", ""))
    return Record(kind, identifier, part, _iso(raw.get("eventTime")), raw)


def trigger_epoch_ms(event: Mapping[str, Any]) -> int | None:
    """When the event was triggered, in ms since the epoch, from the event's own fields."""
    context = event.get("requestContext")
    if isinstance(context, dict):
        for key in ("timeEpoch", "requestTimeEpoch"):
            value = _number(context.get(key))
            if value is not None:
                # VPC Lattice v2 gives microseconds ("1696331543569073").
                return value // 1000 if value > 100_000_000_000_000 else value
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        kind = kind_of(event)
        if kind:
            moment = _record(kind, records[0]).time
            return int(moment.timestamp() * 1000) if moment else None
    for key in ("time", "triggerTime"):
        moment = _iso(event.get(key))
        if moment is not None:
            return int(moment.timestamp() * 1000)
    oss = event.get("events")
    if isinstance(oss, list) and oss and isinstance(oss[0], dict):
        moment = _iso(oss[0].get("eventTime"))
        if moment is not None:
            return int(moment.timestamp() * 1000)
    return None


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _from_ms(value: Any) -> datetime | None:
    number = _number(value)
    return None if number is None else datetime.fromtimestamp(number / 1000, tz=timezone.utc)


def _from_seconds(value: Any) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return None


def _iso(value: Any) -> datetime | None:
    """RFC 3339 / ISO 8601 time as platforms write it (`2023-09-05T06:41:11Z`, `.123Z`)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
