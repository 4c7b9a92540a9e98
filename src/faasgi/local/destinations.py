"""Where an async event's result goes: OnSuccess / OnFailure destinations and the
dead-letter queue, in the platform's formats, delivered to moto (SQS, SNS, EventBridge) or
to another function of the same emulator.

The invocation record (Lambda,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html):
`version` "1.0", `timestamp`, `requestContext{requestId, functionArn, condition,
approximateInvokeCount}`, `requestPayload`, `responseContext{statusCode, executedVersion,
functionError}`, `responsePayload`; SQS and SNS get it as the message body, a function as its
event, EventBridge as the `detail` of a `Lambda Function Invocation Result - Success|Failure`
event from source `lambda`. A dead-letter queue gets the event itself, with the message
attributes `RequestID`, `ErrorCode` and `ErrorMessage` (same page).

Function Compute's record (https://help.aliyun.com/zh/functioncompute/user-guide/result-callback)
has `timestamp` in epoch milliseconds and no `version` or `executedVersion`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from faasgi.local.asyncinvoke import AsyncEvent, AsyncFunction, AsyncInvoker
from faasgi.local.schedules import ACCOUNT

logger = logging.getLogger("faasgi.local.async")

_ARN = re.compile(r"^arn:aws[\w-]*:(sqs|sns|events|lambda):([\w-]*):(\d*):(.+)$")
_FC_ARN = re.compile(r"^acs:fc:[\w-]*:\d*:functions/([\w-]+)")


class DestinationError(ValueError):
    """A destination the emulator cannot deliver to."""


@dataclass(frozen=True, slots=True)
class Destination:
    """`kind` sqs | sns | events | function, and the queue/topic/bus/function name."""

    kind: str
    name: str
    arn: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def parse_destination(text: str, region: str = "us-east-1") -> Destination:
    """A destination ARN (`arn:aws:sqs:...:queue`, `...:event-bus/name`, `...:function:f`,
    FC's `acs:fc:...:functions/f`) or a short form `sqs:name`, `sns:name`, `events:name`,
    `function:name`."""
    found = _ARN.match(text)
    if found:
        service, _, _, resource = found.groups()
        if service == "events":
            name = resource.removeprefix("event-bus/")
            return Destination("events", name, text)
        if service == "lambda":
            name = resource.removeprefix("function:").split(":")[0]
            return Destination("function", name, text)
        return Destination(service, resource, text)
    fc = _FC_ARN.match(text)
    if fc:
        return Destination("function", fc.group(1), text)
    if text.startswith("acs:"):
        raise DestinationError(
            f"{text}: only FC function destinations are emulated (no MNS, EventBridge or "
            "RocketMQ on Alibaba Cloud here)"
        )
    kind, sep, name = text.partition(":")
    if sep and name and kind in ("sqs", "sns", "events", "function"):
        service = {"function": "lambda"}.get(kind, kind)
        resource = {"events": f"event-bus/{name}", "function": f"function:{name}"}.get(kind, name)
        return Destination(kind, name, f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}")
    raise DestinationError(
        f"{text!r}: a destination is an SQS/SNS/EventBridge/Lambda ARN, or sqs:NAME, "
        "sns:NAME, events:BUS, function:NAME"
    )


def invocation_record(event: AsyncEvent, target: AsyncFunction) -> dict[str, Any]:
    """The record a destination receives, in `target`'s platform's format."""
    fc = target.policy.platform == "fc"
    now = datetime.now(timezone.utc)
    record: dict[str, Any] = {}
    if not fc:
        record["version"] = "1.0"
    record["timestamp"] = (
        int(now.timestamp() * 1000)
        if fc
        else now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    record["requestContext"] = {
        "requestId": event.request_id,
        "functionArn": target.arn,
        "condition": event.condition,
        "approximateInvokeCount": len(event.attempts),
    }
    record["requestPayload"] = _json_or_text(event.payload)
    if not event.attempts:  # expired before it ever ran: there is no response to report
        return record
    last = event.attempts[-1]
    response: dict[str, Any] = {"statusCode": 200}
    if not fc:
        response["executedVersion"] = "$LATEST"
    if last.result != "success":
        response["functionError"] = "Unhandled"
    record["responseContext"] = response
    if last.result in ("success", "error"):
        record["responsePayload"] = _json_or_text(event.answer)
    else:  # the runtime reports these itself (the doc's example: a crashed process)
        record["responsePayload"] = {
            "errorMessage": f"RequestId: {event.request_id} Error: {last.detail or last.result}"
        }
    return record


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


class Destinations:
    """Delivers finished async events; `aws` is a boto3 session factory bound to moto."""

    def __init__(
        self, invoker: AsyncInvoker, endpoint_url: str | None, region: str = "us-east-1"
    ) -> None:
        self.invoker = invoker
        self.endpoint_url = endpoint_url
        self.region = region
        self._clients: dict[str, Any] = {}
        invoker.deliver = self.deliver

    def client(self, service: str) -> Any:
        if service not in self._clients:
            if self.endpoint_url is None:
                raise DestinationError(f"no AWS endpoint for {service} destinations")
            import boto3

            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return self._clients[service]

    def prepare(self, destinations: list[Destination]) -> None:
        """Create the queues, topics and buses named (moto starts empty). Blocking."""
        for destination in destinations:
            if destination.kind == "sqs":
                self.client("sqs").create_queue(QueueName=destination.name)
            elif destination.kind == "sns":
                self.client("sns").create_topic(Name=destination.name)
            elif destination.kind == "events" and destination.name != "default":
                events = self.client("events")
                with contextlib.suppress(events.exceptions.ResourceAlreadyExistsException):
                    events.create_event_bus(Name=destination.name)

    async def deliver(self, event: AsyncEvent, target: AsyncFunction) -> None:
        policy = target.policy
        success = event.condition == "Success"
        chosen = policy.on_success if success else policy.on_failure
        if chosen:
            destination = parse_destination(chosen, self.region)
            record = invocation_record(event, target)
            await self._send(destination, record, success, event)
            event.delivered.append(f"{'OnSuccess' if success else 'OnFailure'} {destination}")
            logger.info("async %s %s -> %s", target.name, event.request_id, destination)
        if not success and policy.dead_letter:
            destination = parse_destination(policy.dead_letter, self.region)
            await asyncio.to_thread(self._dead_letter, destination, event)
            event.delivered.append(f"DeadLetterQueue {destination}")
            logger.info("async %s %s -> dead-letter %s", target.name, event.request_id, destination)

    async def _send(
        self, destination: Destination, record: dict[str, Any], success: bool, event: AsyncEvent
    ) -> None:
        body = json.dumps(record)
        if destination.kind == "function":
            self.invoker.submit(
                destination.name, body.encode("utf-8"), origin=f"destination of {event.request_id}"
            )
            return
        await asyncio.to_thread(self._send_aws, destination, body, success)

    def _send_aws(self, destination: Destination, body: str, success: bool) -> None:
        if destination.kind == "sqs":
            sqs = self.client("sqs")
            url = sqs.get_queue_url(QueueName=destination.name)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=body)
        elif destination.kind == "sns":
            self.client("sns").publish(TopicArn=self._topic_arn(destination), Message=body)
        elif destination.kind == "events":
            result = "Success" if success else "Failure"
            self.client("events").put_events(
                Entries=[
                    {
                        "Source": "lambda",
                        "DetailType": f"Lambda Function Invocation Result - {result}",
                        "Detail": body,
                        "EventBusName": destination.name,
                    }
                ]
            )

    def _dead_letter(self, destination: Destination, event: AsyncEvent) -> None:
        last = event.attempts[-1] if event.attempts else None
        message = (last.detail if last else "event age exceeded")[:1024]
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": event.request_id},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {"DataType": "String", "StringValue": message or "error"},
        }
        body = event.payload.decode("utf-8", "replace")
        if destination.kind == "sqs":
            sqs = self.client("sqs")
            url = sqs.get_queue_url(QueueName=destination.name)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
        elif destination.kind == "sns":
            self.client("sns").publish(
                TopicArn=self._topic_arn(destination), Message=body, MessageAttributes=attributes
            )
        else:
            raise DestinationError(f"a dead-letter queue is SQS or SNS, not {destination}")

    def _topic_arn(self, destination: Destination) -> str:
        if destination.arn.startswith("arn:"):
            return destination.arn
        return f"arn:aws:sns:{self.region}:{ACCOUNT}:{destination.name}"


__all__ = [
    "Destination",
    "DestinationError",
    "Destinations",
    "invocation_record",
    "parse_destination",
]
