"""Sinks that deliver a handler's answer to the Lambda Runtime API: posted whole
(`RuntimeSink`), or streamed (`StreamingSink`: JSON prelude, 8 NUL bytes, then each chunk
as the app produces it; an error after the first byte goes out as the error trailers).

Streaming: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html ("Implementing
response streaming in a custom runtime") and
https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from faasgi.http import Reply
from faasgi.runtime.client import HTTP_INTEGRATION, RuntimeAPI
from faasgi.runtime.errors import HandlerError, error_body
from faasgi.sinks import Sink

if TYPE_CHECKING:
    from faasgi.bodies import BodyCodec
    from faasgi.events import Event, Source

logger = logging.getLogger("faasgi.runtime")

#: Between the prelude and the body (HttpResponseStream.js in AWS's Node.js runtime client).
DELIMITER = b"\x00" * 8


def marshal(result: Any) -> tuple[bytes, str]:
    """A handler's return value as awslambdaric posts it: bytes as they are, anything else
    as JSON (lambda_runtime_marshaller.py); what JSON cannot hold is a Runtime.MarshalError,
    as there."""
    if isinstance(result, (bytes, bytearray)):
        return bytes(result), "application/unknown"
    try:
        return json.dumps(result).encode("utf-8"), "application/json"
    except (TypeError, ValueError) as error:
        raise HandlerError("Runtime.MarshalError", f"Unable to marshal response: {error}") from None


class RuntimeSink(Sink):
    """Renders the platform's answer and posts it to `/response` at once, so the app's
    work after its response runs after the client has its answer."""

    delivers_early = True

    def __init__(self, codec: BodyCodec, api: RuntimeAPI, request_id: str) -> None:
        super().__init__(codec)
        self.api = api
        self.request_id = request_id
        #: True once `/response` was posted (or a stream started): `/error` is too late.
        self.posted = False

    def http(self, reply: Reply, source: Source, event: Event) -> Any:
        return self.value(super().http(reply, source, event))

    def value(self, result: Any) -> Any:
        body, content_type = marshal(result)
        self.posted = True
        self.api.respond(self.request_id, body, content_type)
        return result


def streams(source: Source, event: Event) -> bool:
    """Whether Lambda can stream this HTTP event's answer: a Function URL (payload 2.0 on a
    `lambda-url` domain) or a REST API (`responseTransferMode: STREAM`; the event does not
    say, so a function switched to streaming streams every REST answer). HTTP APIs and ALB
    cannot stream (https://docs.aws.amazon.com/apigateway/latest/developerguide/
    response-transfer-mode.html: REST APIs only)."""
    if source.NAME == "aws-rest":
        return True
    if source.NAME != "aws-http":
        return False
    context = event.get("requestContext")
    domain = context.get("domainName", "") if isinstance(context, dict) else ""
    return ".execute-api." not in str(domain or "")


def prelude(reply: Reply, source: Source) -> bytes:
    """The JSON before the 8 NULs: `statusCode`, `headers`, `cookies` for a Function URL
    (aws-lambda-go events/lambda_function_urls.go `LambdaFunctionURLStreamingResponse`);
    `statusCode`, `headers`, `multiValueHeaders` for a REST API (aws-lambda-go
    events/apigw.go, the streaming proxy response)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    multi: dict[str, list[str]] = {}
    for name, value in reply.headers:
        multi.setdefault(name, []).append(value)
        if name == "set-cookie":
            cookies.append(value)
        elif name in headers:
            headers[name] += "," + value
        else:
            headers[name] = value
    shape: dict[str, Any] = {"statusCode": reply.status, "headers": headers}
    if source.NAME == "aws-rest":
        shape["multiValueHeaders"] = multi
    else:
        shape["cookies"] = cookies
    # The prelude must hold no NUL byte: json.dumps escapes every control character.
    return json.dumps(shape, separators=(",", ":")).encode("utf-8")


class StreamingSink(RuntimeSink):
    """Streams HTTP answers that Lambda can stream; posts everything else whole."""

    def http(self, reply: Reply, source: Source, event: Event) -> Any:
        if not streams(source, event):
            return super().http(reply, source, event)
        stream = self.api.stream(self.request_id, HTTP_INTEGRATION)
        self.posted = True
        try:
            stream.write(prelude(reply, source) + DELIMITER)
            failure: dict[str, Any] | None = None
            try:
                for chunk in reply.chunks():
                    stream.write(chunk)
            except Exception as error:
                logger.exception("the app failed part-way through its streamed response")
                failure = error_body(error, self.request_id)
            stream.finish(failure)
        except BaseException:
            stream.abandon()
            raise
        return None
