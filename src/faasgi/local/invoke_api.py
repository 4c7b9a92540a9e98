"""The Lambda Invoke API on its own port, so `boto3.client("lambda", endpoint_url=...)`,
the AWS CLI and other local services can call the template's functions.

`POST /2015-03-31/functions/{FunctionName}/invocations` with `X-Amz-Invocation-Type`
`RequestResponse` (200 and the function's answer), `Event` (202, run in the background)
or `DryRun` (204) (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). A
function error is still 200, with `X-Amz-Function-Error: Unhandled` and the error
object as the payload. The function is named by name, by ARN or by partial ARN
(`123456789012:function:name`), with an optional `:$LATEST` qualifier.
`POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations` answers in
the AWS event-stream encoding (API_InvokeWithResponseStream.html): the whole answer as one
`PayloadChunk` event, then `InvokeComplete`. `X-Amz-Log-Type: Tail` on a synchronous invocation adds
`X-Amz-Log-Result`, the base64 of the last 4 KB of its log (logtail.py).
"""

from __future__ import annotations

import asyncio
import binascii
import json
import logging
import re
import struct
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from faasgi.local.gateway import Invoker, Receive, Scope, Send, read_body
from faasgi.local.logtail import drained, instance_lines, log_result
from faasgi.local.pool import Outcome
from faasgi.local.streamed import collect

logger = logging.getLogger("faasgi.local.invoke")

_PATH = re.compile(
    r"/(?P<version>2015-03-31|2021-11-15)/functions/(?P<name>[^/]+)/"
    r"(?P<kind>invocations|response-streaming-invocations)"
)
_NAME = re.compile(
    r"(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?"
    r"(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9$_-]+))?"
)


#: The payload limit of an asynchronous invocation (API_Invoke: 1 MB).
ASYNC_PAYLOAD_LIMIT = 1024 * 1024


def function_name(raw: str) -> tuple[str, str | None]:
    """(name, qualifier) from a name, an ARN or a partial ARN; ValueError if none fits."""
    match = _NAME.fullmatch(unquote(raw))
    if match is None:
        raise ValueError(raw)
    return match.group("name"), match.group("qualifier")


class InvokeApi:
    """ASGI app: Lambda's Invoke API in front of the functions' instance pools."""

    def __init__(
        self,
        invokers: Mapping[str, Invoker],
        region: str = "us-east-1",
        submit: Callable[[str, bytes], str] | None = None,
    ) -> None:
        self.invokers = dict(invokers)
        self.region = region
        #: The async queue (asyncinvoke.py): Event invocations go there, to be queued,
        #: retried and delivered; it returns the event's request id.
        self.submit = submit
        self._background: set[asyncio.Task[Outcome]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        status, headers, payload = await self.answer(scope, body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
                + [(b"content-length", str(len(payload)).encode("ascii"))],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def answer(self, scope: Scope, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        match = _PATH.fullmatch(scope["path"])
        if scope["method"] != "POST" or match is None:
            return _error(404, "UnknownOperationException", f"no such operation: {scope['path']}")
        try:
            name, qualifier = function_name(match.group("name"))
        except ValueError:
            return _error(400, "ValidationException", "invalid function name")
        invoker = self.invokers.get(name)
        arn = f"arn:aws:lambda:{self.region}:123456789012:function:{name}"
        if invoker is None or qualifier not in (None, "$LATEST"):
            shown = arn if qualifier is None else f"{arn}:{qualifier}"
            return _error(404, "ResourceNotFoundException", f"Function not found: {shown}")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        kind = headers.get("x-amz-invocation-type", "RequestResponse")
        if body:
            try:
                json.loads(body)
            except ValueError:
                return _error(
                    400, "InvalidRequestContentException", "Could not parse request body into json"
                )
        else:
            body = b"{}"
        request_id = str(uuid.uuid4())
        common = [("x-amzn-requestid", request_id), ("x-amz-executed-version", "$LATEST")]
        if kind == "DryRun":
            return 204, common, b""
        if kind == "Event" and len(body) > ASYNC_PAYLOAD_LIMIT:
            return _error(
                413,
                "RequestEntityTooLargeException",
                f"Request must be smaller than {ASYNC_PAYLOAD_LIMIT} bytes for the Event "
                "invocation type",
            )
        if kind == "Event" and self.submit is not None:
            queued_id = self.submit(name, body)
            return 202, [("x-amzn-requestid", queued_id), common[1]], b""
        if kind == "Event":
            task = asyncio.ensure_future(self._logged(invoker, name, request_id, body))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return 202, common, b""
        if kind != "RequestResponse":
            return _error(400, "InvalidParameterValueException", f"bad invocation type {kind}")
        tail = headers.get("x-amz-log-type", "None")
        if tail not in ("None", "Tail"):
            return _error(400, "InvalidParameterValueException", f"bad log type {tail}")
        lines = instance_lines() if tail == "Tail" else None
        mark = lines.latest if lines is not None else 0
        outcome = await self._logged(invoker, name, request_id, body)
        if outcome.stream is not None:
            # A function in RESPONSE_STREAM mode streamed an HTTP answer: its payload is
            # what its runtime posts, the prelude, 8 NUL bytes, then the body.
            outcome.payload += b"\x00" * 8 + await collect(outcome)
        streaming = match.group("kind") == "response-streaming-invocations"
        if lines is not None and outcome.instance:
            await drained()
            printed = lines.since(outcome.instance, mark)
            result = log_result(printed, request_id, outcome.duration_ms)
            common = [*common, ("x-amz-log-result", result)]
        return self._result(outcome, common, streaming)

    async def _logged(self, invoker: Invoker, name: str, request_id: str, body: bytes) -> Outcome:
        outcome = await invoker.invoke(request_id, body)
        logger.info(
            "invoke %s %s %s duration=%.1fms%s",
            name,
            outcome.instance or "-",
            "cold" if outcome.cold else "warm",
            outcome.duration_ms,
            f" error={outcome.failure}" if outcome.failure else "",
        )
        return outcome

    def _result(
        self, outcome: Outcome, headers: list[tuple[str, str]], streaming: bool
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        failure = outcome.failure
        if failure == "throttled":
            return _error(429, "TooManyRequestsException", "Rate Exceeded.")
        if failure == "stopped":
            return _error(503, "ServiceException", "the emulator is shutting down")
        payload, error_type = outcome.payload, None
        if failure == "error":
            error_type = "Unhandled"
        elif failure == "timeout":
            error_type = "Unhandled"
            payload = _shape("Sandbox.Timedout", outcome.detail or "Task timed out")
        elif failure is not None:  # crash, init
            error_type = "Unhandled"
            payload = _shape("Runtime.ExitError", outcome.detail or failure)
        if streaming:
            return self._stream(payload, error_type, headers)
        if error_type:
            headers = [*headers, ("x-amz-function-error", error_type)]
        return 200, [*headers, ("content-type", "application/json")], payload

    def _stream(
        self, payload: bytes, error_type: str | None, headers: list[tuple[str, str]]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        events = [] if error_type else [_event("PayloadChunk", {"Payload": payload})]
        complete: dict[str, Any] = {}
        if error_type:
            shape = json.loads(payload or b"{}")
            complete = {
                "ErrorCode": str(shape.get("errorType", error_type)),
                "ErrorDetails": str(shape.get("errorMessage", "")),
            }
        log = dict(headers).get("x-amz-log-result")
        if log:  # InvokeWithResponseStreamCompleteEvent.LogResult
            complete["LogResult"] = log
        events.append(_event("InvokeComplete", complete, json_body=True))
        content = "application/vnd.amazon.eventstream"
        return 200, [*headers, ("content-type", content)], b"".join(events)


def _shape(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode("utf-8")


def _error(status: int, code: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """An error of the Lambda API: botocore reads its code from X-Amzn-ErrorType."""
    body = json.dumps({"Type": "User", "message": message}).encode("utf-8")
    return status, [("x-amzn-errortype", code), ("content-type", "application/json")], body


def _event(name: str, fields: dict[str, Any], json_body: bool = False) -> bytes:
    """One message of the AWS event-stream encoding: prelude (total and headers length,
    CRC32), headers, payload, CRC32 of everything before it."""
    if json_body:
        payload = json.dumps(fields).encode("utf-8")
        content_type = "application/json"
    else:
        payload = fields["Payload"]
        content_type = "application/octet-stream"
    headers = b"".join(
        _header(key, value)
        for key, value in (
            (":event-type", name),
            (":content-type", content_type),
            (":message-type", "event"),
        )
    )
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + headers + payload
    return message + struct.pack(">I", binascii.crc32(message))


def _header(name: str, value: str) -> bytes:
    encoded_name, encoded_value = name.encode("utf-8"), value.encode("utf-8")
    return (
        struct.pack(">B", len(encoded_name))
        + encoded_name
        + b"\x07"  # type 7: a string
        + struct.pack(">H", len(encoded_value))
        + encoded_value
    )


__all__ = ["ASYNC_PAYLOAD_LIMIT", "InvokeApi", "function_name"]
