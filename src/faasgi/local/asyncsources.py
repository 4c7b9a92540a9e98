"""S3 and SNS event sources of a template (SAM `S3` / `SNS` events), in the emulator's moto:
the bucket and the topic are created there, and an object put into the bucket or a message
published to the topic (with boto3 at the printed endpoint, by a test or by another
function) invokes the function asynchronously, with the event the platform sends.

How the events get out of moto: S3 and SNS both deliver to SQS inside moto (moto's
`s3/notifications.py` writes S3's own notification record, key filters applied; its SNS
applies subscription filter policies), so each source gets a private queue
(`faasgi-<function>-<event>`) that this module polls and turns into the Lambda event:

- S3 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html):
  one record per invocation; moto's record lacks `userIdentity`, `requestParameters`,
  `responseElements`, the bucket's `ownerIdentity` and the object's `sequencer`, which are
  filled in with local values. S3's `s3:TestEvent` message (sent when the notification is
  configured, and never to a function) is dropped.
- SNS (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html): the SQS body is SNS's
  HTTP/SQS message; Lambda's record has the same fields under `Sns`, with `SigningCertUrl`
  and `UnsubscribeUrl` spelt so, plus `EventSource`, `EventVersion` and
  `EventSubscriptionArn`.

moto's S3 Lambda notifications would invoke moto's own Lambda (Docker), and SNS's `lambda`
protocol likewise: hence the queues. The queues are polled without long polling, every
`POLL_SECONDS`: the local moto serves one request at a time (dynamodb.py), so a long poll
would hold up every other request for its whole wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("faasgi.local.async")

POLL_SECONDS = 0.2
ACCOUNT = "123456789012"


@dataclass(frozen=True, slots=True)
class Bridge:
    """One source of one function and the private queue its events arrive on."""

    function: str
    name: str
    kind: str  # "s3" or "sns"
    target: str  # bucket name or topic ARN
    queue: str
    events: tuple[str, ...] = ()
    key_filter: tuple[tuple[str, str], ...] = ()
    filter_policy: str | None = None
    subscription: str = ""

    def describe(self) -> str:
        if self.kind == "s3":
            rules = "".join(f", {name} {value}" for name, value in self.key_filter)
            return f"S3 bucket {self.target} ({', '.join(self.events)}{rules})"
        policy = f", filter {self.filter_policy}" if self.filter_policy else ""
        return f"SNS topic {self.target}{policy}"


def bridges(sources: list[tuple[str, Any]]) -> list[Bridge]:
    """(function, model.EventSource) pairs as Bridges with their queue names."""
    found = []
    for function, source in sources:
        queue = re.sub(r"[^\w-]", "-", f"faasgi-{function}-{source.name}")[:80]
        found.append(
            Bridge(
                function,
                source.name,
                source.kind,
                source.target,
                queue,
                tuple(source.events),
                tuple(source.key_filter),
                source.filter_policy,
            )
        )
    return found


class SourceBridges:
    """Creates the buckets, topics and queues in moto, then polls the queues and submits
    each event to the async queue of its function (`submit(function, payload, origin)`)."""

    def __init__(
        self,
        items: list[Bridge],
        client: Callable[[str], Any],
        submit: Callable[[str, bytes, str], Any],
        region: str = "us-east-1",
    ) -> None:
        self.items = items
        self.client = client
        self.submit = submit
        self.region = region
        self._urls: dict[str, str] = {}
        self._sequence = itertools.count(1)

    def prepare(self) -> list[Bridge]:
        """Blocking: create everything; the bridges with their SNS subscription ARNs."""
        sqs, s3, sns = self.client("sqs"), self.client("s3"), self.client("sns")
        ready = []
        per_bucket: dict[str, list[dict[str, Any]]] = {}
        for item in self.items:
            url = sqs.create_queue(QueueName=item.queue)["QueueUrl"]
            self._urls[item.queue] = url
            arn = f"arn:aws:sqs:{self.region}:{ACCOUNT}:{item.queue}"
            if item.kind == "s3":
                configuration: dict[str, Any] = {
                    "Id": f"{item.function}-{item.name}",
                    "QueueArn": arn,
                    "Events": list(item.events),
                }
                if item.key_filter:
                    rules = [{"Name": n, "Value": v} for n, v in item.key_filter]
                    configuration["Filter"] = {"Key": {"FilterRules": rules}}
                per_bucket.setdefault(item.target, []).append(configuration)
                ready.append(item)
                continue
            topic_name = item.target.rsplit(":", 1)[-1]
            topic = sns.create_topic(Name=topic_name)["TopicArn"]
            attributes = {"FilterPolicy": item.filter_policy} if item.filter_policy else {}
            subscription = sns.subscribe(
                TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes
            )["SubscriptionArn"]
            ready.append(
                Bridge(
                    item.function,
                    item.name,
                    "sns",
                    topic,
                    item.queue,
                    filter_policy=item.filter_policy,
                    subscription=subscription,
                )
            )
        for bucket, configurations in per_bucket.items():
            with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
                if self.region == "us-east-1":
                    s3.create_bucket(Bucket=bucket)
                else:
                    s3.create_bucket(
                        Bucket=bucket,
                        CreateBucketConfiguration={"LocationConstraint": self.region},
                    )
            s3.put_bucket_notification_configuration(
                Bucket=bucket,
                NotificationConfiguration={"QueueConfigurations": configurations},
            )
        self.items = ready
        return ready

    async def run(self) -> None:
        """Poll every queue until cancelled."""
        while True:
            for item in self.items:
                try:
                    messages = await asyncio.to_thread(self._receive, item)
                except Exception as error:  # moto going away at shutdown, a broken message
                    logger.warning(
                        "%s %s: could not read its events: %s", item.kind, item.name, error
                    )
                    continue
                for message in messages:
                    event = self.event(item, message)
                    if event is not None:
                        self.submit(item.function, event, f"{item.kind} {item.name}")
            await asyncio.sleep(POLL_SECONDS)

    def _receive(self, item: Bridge) -> list[str]:
        sqs = self.client("sqs")
        url = self._urls[item.queue]
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = answer.get("Messages", [])
        if messages:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(messages)
                ],
            )
        return [m["Body"] for m in messages]

    def event(self, item: Bridge, body: str) -> bytes | None:
        """The Lambda event for one queued message; None for S3's test event."""
        try:
            message = json.loads(body)
        except ValueError:
            logger.warning("%s %s: not JSON, dropped: %.200s", item.kind, item.name, body)
            return None
        if item.kind == "s3":
            if message.get("Event") == "s3:TestEvent":
                return None
            records = [self._s3_record(r) for r in message.get("Records", [])]
            if len(records) != 1:
                logger.warning("s3 %s: %d records in one message", item.name, len(records))
            return json.dumps({"Records": records}).encode("utf-8")
        return json.dumps({"Records": [self._sns_record(item, message)]}).encode("utf-8")

    def _s3_record(self, record: dict[str, Any]) -> dict[str, Any]:
        filled = dict(record)
        filled.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
        filled.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        filled.setdefault(
            "responseElements",
            {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex},
        )
        s3 = dict(filled.get("s3") or {})
        bucket = dict(s3.get("bucket") or {})
        bucket.setdefault("ownerIdentity", {"principalId": "LOCAL"})
        target = dict(s3.get("object") or {})
        # Sequencer: a hexadecimal value that grows with each event on a key (same page).
        target.setdefault("sequencer", f"{next(self._sequence):018X}")
        s3["bucket"], s3["object"] = bucket, target
        filled["s3"] = s3
        return filled

    def _sns_record(self, item: Bridge, message: dict[str, Any]) -> dict[str, Any]:
        sns = {
            "SignatureVersion": message.get("SignatureVersion", "1"),
            "Timestamp": message.get("Timestamp"),
            "Signature": message.get("Signature", "EXAMPLE"),
            "SigningCertUrl": message.get("SigningCertURL", ""),
            "MessageId": message.get("MessageId"),
            "Message": message.get("Message"),
            "MessageAttributes": message.get("MessageAttributes") or {},
            "Type": message.get("Type", "Notification"),
            "UnsubscribeUrl": message.get("UnsubscribeURL", ""),
            "TopicArn": message.get("TopicArn", item.target),
            "Subject": message.get("Subject"),
        }
        return {
            "EventVersion": "1.0",
            "EventSubscriptionArn": item.subscription,
            "EventSource": "aws:sns",
            "Sns": sns,
        }


__all__ = ["POLL_SECONDS", "Bridge", "SourceBridges", "bridges"]
