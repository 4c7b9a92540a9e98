"""`faasgi event SOURCE [METHOD PATH]`: print a realistic event of any source faasgi takes,
to save, edit and send with `faasgi invoke --event FILE` (what `sam local generate-event`
does for SAM).

HTTP events are built by the same builders the emulator and the test client use
(`faasgi.events`), from a request made of METHOD PATH and the options. The others mirror the
platforms' published samples key for key (AWS: the Lambda developer guide's and Powertools'
sample events; Alibaba: "Formats of event for different triggers",
https://www.alibabacloud.com/help/en/fc/formats-of-event-for-different-triggers), with
fresh ids, the current time, and the message or object the options give.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from faasgi.cli import UsageError, read_text
from faasgi.events import BUILD_NAMES

ACCOUNT = "123456789012"
REGION = "us-east-1"
FC_ACCOUNT = "1234567890123456"
FC_REGION = "cn-hangzhou"

#: Non-HTTP sources: name -> what it stands for.
TRIGGERS = {
    "schedule": "EventBridge (CloudWatch Events) schedule rule",
    "sqs": "SQS queue, one message",
    "sns": "SNS topic, one notification",
    "s3": "S3 bucket notification, one object (METHOD PATH: PUT/POST/COPY/DELETE and the key)",
    "dynamodb-stream": "DynamoDB stream, one record (METHOD: INSERT, MODIFY or REMOVE)",
    "fc-timer": "Function Compute time trigger",
    "oss": "Function Compute OSS trigger, one object (METHOD PATH as for s3)",
}


def configure(parser: argparse.ArgumentParser) -> None:
    names = ", ".join(BUILD_NAMES)
    parser.add_argument(
        "source",
        choices=[*BUILD_NAMES, *TRIGGERS],
        metavar="SOURCE",
        help=f"HTTP: {names}; other: {', '.join(TRIGGERS)}",
    )
    parser.add_argument(
        "method",
        nargs="?",
        metavar="METHOD",
        help="HTTP method (default GET); s3/oss: PUT, POST, COPY or DELETE; "
        "dynamodb-stream: INSERT, MODIFY or REMOVE",
    )
    parser.add_argument(
        "path", nargs="?", metavar="PATH", help="path with query (default /); s3/oss: the key"
    )
    parser.add_argument(
        "-H", "--header", action="append", default=[], help="HTTP: a header 'Name: value'"
    )
    parser.add_argument(
        "--query", action="append", default=[], metavar="NAME=VALUE", help="HTTP: a query value"
    )
    parser.add_argument(
        "--body",
        help="the body (@FILE reads a file): HTTP request, SQS/SNS message, FC timer payload, "
        "S3/OSS object",
    )
    parser.add_argument(
        "--json",
        metavar="JSON",
        help="the body as JSON; schedule: its detail, dynamodb-stream: the new image",
    )


def main(args: argparse.Namespace) -> int:
    json.dump(build(args), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def build(args: argparse.Namespace) -> dict[str, Any]:
    """The event the options describe; UsageError for a mistake."""
    if args.body is not None and args.json is not None:
        raise UsageError("give --body or --json, not both")
    data: Any = None
    if args.json is not None:
        try:
            data = json.loads(args.json)
        except ValueError as error:
            raise UsageError(f"--json: not JSON ({error})") from None
    body = args.body
    if body is not None and body.startswith("@"):
        body = read_text(body[1:])
    if args.source in BUILD_NAMES:
        return _http(args, body, data)
    if args.header or args.query:
        raise UsageError(f"--header and --query are for HTTP sources, not {args.source}")
    text = body if data is None else json.dumps(data)
    return _TRIGGERS[args.source](args, text, data)


def _http(args: argparse.Namespace, body: str | None, data: Any) -> dict[str, Any]:
    from faasgi.events import Stamp, builder
    from faasgi.testing import FaasClient

    headers = []
    for line in args.header:
        name, sep, value = line.partition(":")
        if not sep:
            raise UsageError(f"a header is 'Name: value', got {line!r}")
        headers.append((name.strip(), value.strip()))
    params = []
    for pair in args.query:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"a query value is NAME=VALUE, got {pair!r}")
        params.append((name, value))
    client = FaasClient(handler=None, source=args.source, base_url="https://localhost")
    request = client.build_request(
        (args.method or "GET").upper(),
        args.path or "/",
        params=params,
        headers=headers,
        json=data,
        content=body,
    )
    _, build_event = builder(args.source)
    stamp = Stamp(str(uuid.uuid4()), int(time.time() * 1000))
    return build_event(request, stamp)


# -- the other sources ------------------------------------------------------------------------


def _now(precision: str = "milliseconds") -> str:
    return datetime.now(timezone.utc).isoformat(timespec=precision).replace("+00:00", "Z")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _only(args: argparse.Namespace, what: str, allowed: tuple[str, ...] = ()) -> str | None:
    """METHOD for sources that take one; UsageError when it is not among `allowed`."""
    method = (args.method or "").upper() or None
    if method is None:
        return None
    if method not in allowed:
        raise UsageError(f"{args.source} takes {what}, not {args.method!r}")
    return method


def _schedule(args: argparse.Namespace, text: str | None, data: Any) -> dict[str, Any]:
    _only(args, "no METHOD PATH")
    if text is not None and not isinstance(data, dict):
        raise UsageError("a schedule's detail is a JSON object: give it with --json")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": _now("seconds"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/my-schedule"],
        "detail": data or {},
    }


def _sqs(args: argparse.Namespace, text: str | None, data: Any) -> dict[str, Any]:
    _only(args, "no METHOD PATH")
    body = "Hello from SQS!" if text is None else text
    sent = str(int(time.time() * 1000))
    record = {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "AQEB" + uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": sent,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": sent,
        },
        "messageAttributes": {},
        "md5OfBody": _md5(body),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:my-queue",
        "awsRegion": REGION,
    }
    return {"Records": [record]}


def _sns(args: argparse.Namespace, text: str | None, data: Any) -> dict[str, Any]:
    _only(args, "no METHOD PATH")
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:my-topic"
    record = {
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic}:{uuid.uuid4()}",
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": _now(),
            "Signature": "EXAMPLE",
            "SigningCertUrl": f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService.pem",
            "MessageId": str(uuid.uuid4()),
            "Message": "Hello from SNS!" if text is None else text,
            "MessageAttributes": {},
            "Type": "Notification",
            "UnsubscribeUrl": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe",
            "TopicArn": topic,
            "Subject": "example",
        },
    }
    return {"Records": [record]}


_S3_NAMES = {"PUT": "ObjectCreated:Put", "POST": "ObjectCreated:Post", "COPY": "ObjectCreated:Copy"}


def _s3(args: argparse.Namespace, text: str | None, data: Any) -> dict[str, Any]:
    method = _only(args, "PUT, POST, COPY or DELETE and a key", (*_S3_NAMES, "DELETE")) or "PUT"
    content = "" if text is None else text
    key = (args.path or "/uploads/example.txt").lstrip("/")
    obj: dict[str, Any] = {"key": key, "sequencer": f"{time.time_ns():X}"}
    if method != "DELETE":
        obj = {"key": key, "size": len(content.encode()), "eTag": _md5(content), **obj}
    bucket = "my-bucket"
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": _now(),
                "eventName": _S3_NAMES.get(method, "ObjectRemoved:Delete"),
                "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
                "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": uuid.uuid4().hex,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": str(uuid.uuid4()),
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3I5XTEXAMAI3E"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }


def _dynamodb_stream(args: argparse.Namespace, text: str | None, data: Any) -> dict[str, Any]:
    from faasgi.state.attributes import to_attribute
    from faasgi.state.store import NotJSON

    name = _only(args, "INSERT, MODIFY or REMOVE", ("INSERT", "MODIFY", "REMOVE")) or "INSERT"
    if text is not None and not isinstance(data, dict):
        raise UsageError("a stream record's new image is a JSON object: give it with --json")
    item = data or {"pk": "todos#1", "title": "Write the tests"}
    try:
        image = {key: to_attribute(value) for key, value in item.items()}
    except NotJSON as error:
        raise UsageError(f"--json: {error}") from None
    first_key = next(iter(item))
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": float(int(time.time())),
        "Keys": {first_key: image[first_key]},
        "SequenceNumber": str(time.time_ns()),
        "SizeBytes": len(json.dumps(image)),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if name != "REMOVE":
        change["NewImage"] = image
    if name != "INSERT":
        change["OldImage"] = image
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/my-table/stream/2024-01-01T00:00:00.000"
    record = {
        "eventID": uuid.uuid4().hex,
        "eventVersion": "1.1",
        "dynamodb": change,
        "awsRegion": REGION,
        "eventName": name,
        "eventSourceARN": table,
        "eventSource": "aws:dynamodb",
    }
    return {"Records": [record]}


def _fc_timer(args: argparse.Namespace, text: str | None, data: Any) -> dict[str, Any]:
    _only(args, "no METHOD PATH")
    return {
        "triggerTime": _now("seconds"),
        "triggerName": "timer-trigger",
        "payload": "" if text is None else text,
    }


_OSS_NAMES = {
    "PUT": "ObjectCreated:PutObject",
    "POST": "ObjectCreated:PostObject",
    "COPY": "ObjectCreated:CopyObject",
}


def _oss(args: argparse.Namespace, text: str | None, data: Any) -> dict[str, Any]:
    method = _only(args, "PUT, POST, COPY or DELETE and a key", (*_OSS_NAMES, "DELETE")) or "PUT"
    content = "" if text is None else text
    size = len(content.encode())
    bucket = "my-bucket"
    key = (args.path or "/uploads/example.txt").lstrip("/")
    event = {
        "eventName": _OSS_NAMES.get(method, "ObjectRemoved:DeleteObject"),
        "eventSource": "acs:oss",
        "eventTime": _now(),
        "eventVersion": "1.0",
        "oss": {
            "bucket": {
                "arn": f"acs:oss:{FC_REGION}:{FC_ACCOUNT}:{bucket}",
                "name": bucket,
                "ownerIdentity": FC_ACCOUNT,
            },
            "object": {
                "deltaSize": size if method != "DELETE" else -size,
                "eTag": _md5(content).upper(),
                "key": key,
                "size": size,
            },
            "ossSchemaVersion": "1.0",
            "ruleId": uuid.uuid4().hex,
        },
        "region": FC_REGION,
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"requestId": uuid.uuid4().hex[:24].upper()},
        "userIdentity": {"principalId": FC_ACCOUNT},
    }
    return {"events": [event]}


_TRIGGERS: dict[str, Callable[[argparse.Namespace, str | None, Any], dict[str, Any]]] = {
    "schedule": _schedule,
    "sqs": _sqs,
    "sns": _sns,
    "s3": _s3,
    "dynamodb-stream": _dynamodb_stream,
    "fc-timer": _fc_timer,
    "oss": _oss,
}
assert set(_TRIGGERS) == set(TRIGGERS)


__all__ = ["TRIGGERS", "build", "configure", "main"]
