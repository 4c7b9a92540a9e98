"""API Gateway WebSocket API (Lambda proxy integration): event -> `WebSocketEvent`, and
the events and answers the emulator and the tests build. Knows nothing about ASGI.

API Gateway turns one client connection into separate invocations: `$connect` (CONNECT,
with the handshake's headers and query), each message (MESSAGE, body only, no headers)
and `$disconnect` (DISCONNECT, with the close code), all carrying `requestContext.
connectionId`. Shapes: AWS's samples in Powertools' and aws-lambda-go's test events
(tests/fixtures/events/SOURCES.md) and
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
"""

from __future__ import annotations

import time
from base64 import b64encode
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import quote, urlencode

from faasgi.errors import MalformedEvent
from faasgi.events.fields import decode_body, multi_value_headers, single_value_headers
from faasgi.http import Headers

NAME: Final = "aws-websocket"

EventType = Literal["CONNECT", "MESSAGE", "DISCONNECT"]
_EVENT_TYPES: Final = ("CONNECT", "MESSAGE", "DISCONNECT")

#: The route keys API Gateway gives the three kinds of invocation when no custom route
#: (`routeSelectionExpression`) matches.
ROUTE_KEYS: Final = {"CONNECT": "$connect", "MESSAGE": "$default", "DISCONNECT": "$disconnect"}

#: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
MESSAGE_LIMIT: Final = 128 * 1024  # bytes; a message is split into frames of at most:
FRAME_LIMIT: Final = 32 * 1024
IDLE_SECONDS: Final = 10 * 60
CONNECTION_SECONDS: Final = 2 * 60 * 60


def matches(event: Mapping[str, Any]) -> bool:
    """True for a WebSocket API event: keys no HTTP source has."""
    context = event.get("requestContext")
    return isinstance(context, dict) and "eventType" in context and "connectionId" in context


@dataclass(frozen=True, slots=True)
class WebSocketEvent:
    """One invocation of a WebSocket API's integration, in our own words."""

    event_type: EventType
    route_key: str
    connection_id: str
    #: The API's host (`{api-id}.execute-api.{region}.amazonaws.com` or a custom domain)
    #: and stage: the management API of this connection is `https://{domain}/{stage}`.
    domain_name: str
    stage: str
    #: Epoch milliseconds at which the client connected.
    connected_at: int
    request_id: str
    source_ip: str
    #: Only `$connect` carries the handshake's headers and query string.
    headers: Headers = field(default_factory=list)
    query_string: str = ""
    #: MESSAGE only: `str` for a text body, `bytes` when API Gateway base64-encoded it
    #: (an integration with contentHandlingStrategy CONVERT_TO_BINARY).
    body: str | bytes | None = None
    #: DISCONNECT only: the close code (1005 when the client's close frame had none).
    disconnect_status_code: int | None = None
    disconnect_reason: str = ""


def parse(event: Mapping[str, Any]) -> WebSocketEvent:
    """The event as a `WebSocketEvent`; MalformedEvent naming the field that is wrong."""
    context = event.get("requestContext")
    if not isinstance(context, dict):
        raise MalformedEvent("a WebSocket event needs a 'requestContext' object")
    event_type = context.get("eventType")
    if event_type not in _EVENT_TYPES:
        raise MalformedEvent(
            f"requestContext.eventType must be one of {', '.join(_EVENT_TYPES)}, got {event_type!r}"
        )
    connection_id = _text(context, "connectionId")
    if not connection_id:
        raise MalformedEvent("requestContext.connectionId is empty")
    identity = context.get("identity")
    source_ip = identity.get("sourceIp") if isinstance(identity, dict) else None
    headers: Headers = []
    query_string = ""
    if event_type == "CONNECT":
        multi = event.get("multiValueHeaders")
        headers = (
            multi_value_headers(multi) if multi else single_value_headers(event.get("headers"))
        )
        query_string = _query_string(event)
    body: str | bytes | None = None
    if event_type == "MESSAGE":
        raw = event.get("body")
        if event.get("isBase64Encoded"):
            body = decode_body(raw, True)
        elif raw is None or isinstance(raw, str):
            body = raw or ""
        else:
            raise MalformedEvent(f"'body' must be a string, got {type(raw).__name__}")
    code = context.get("disconnectStatusCode")
    return WebSocketEvent(
        event_type=event_type,
        route_key=_text(context, "routeKey") or ROUTE_KEYS[event_type],
        connection_id=connection_id,
        domain_name=_text(context, "domainName"),
        stage=_text(context, "stage"),
        connected_at=_integer(context, "connectedAt"),
        request_id=_text(context, "requestId"),
        source_ip=source_ip if isinstance(source_ip, str) else "",
        headers=headers,
        query_string=query_string,
        body=body,
        disconnect_status_code=code if isinstance(code, int) else None,
        disconnect_reason=str(context.get("disconnectReason") or ""),
    )


def _text(context: Mapping[str, Any], name: str) -> str:
    value = context.get(name, "")
    if not isinstance(value, str):
        raise MalformedEvent(f"requestContext.{name} must be a string, got {type(value).__name__}")
    return value


def _integer(context: Mapping[str, Any], name: str) -> int:
    value = context.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedEvent(
            f"requestContext.{name} must be an integer, got {type(value).__name__}"
        )
    return value


def _query_string(event: Mapping[str, Any]) -> str:
    """The query re-encoded from API Gateway's decoded values, as for REST APIs."""
    multi = event.get("multiValueQueryStringParameters")
    if isinstance(multi, dict) and multi:
        pairs = [(key, value) for key, values in multi.items() for value in values or ()]
        return urlencode(pairs, quote_via=quote)
    single = event.get("queryStringParameters")
    if isinstance(single, dict) and single:
        return urlencode(single, quote_via=quote)
    return ""


# -- answers ------------------------------------------------------------------------------


def connect_answer(
    status: int,
    *,
    subprotocol: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> dict[str, Any]:
    """What the `$connect` integration returns: 200 completes the handshake (with the
    chosen subprotocol in `Sec-WebSocket-Protocol`, as
    https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html
    shows); any other status refuses the connection with that status."""
    answer_headers = dict(headers)
    if subprotocol:
        answer_headers["Sec-WebSocket-Protocol"] = subprotocol
    answer: dict[str, Any] = {"statusCode": status}
    if answer_headers:
        answer["headers"] = answer_headers
    if body:
        try:
            answer["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            answer["body"] = b64encode(body).decode("ascii")
            answer["isBase64Encoded"] = True
    return answer


# -- events, for the emulator and the tests -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Connection:
    """What every event of one connection repeats."""

    connection_id: str
    domain_name: str
    stage: str
    connected_at: int
    source_ip: str = "127.0.0.1"
    user_agent: str | None = None
    api_id: str = "local"


def build_event(
    connection: Connection,
    event_type: EventType,
    *,
    request_id: str,
    time_ms: int,
    headers: Iterable[tuple[str, str]] = (),
    query: Mapping[str, list[str]] | None = None,
    body: str | bytes | None = None,
    disconnect_status_code: int = 1005,
    disconnect_reason: str = "",
    route_key: str | None = None,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An event of the shape the samples show: headers and query only on CONNECT, a body
    only on MESSAGE, the close code only on DISCONNECT."""
    identity: dict[str, str] = {"sourceIp": connection.source_ip}
    if connection.user_agent:
        identity["userAgent"] = connection.user_agent
    context: dict[str, Any] = {
        "routeKey": route_key or ROUTE_KEYS[event_type],
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": _request_time(time_ms),
        "messageDirection": "IN",
        "stage": connection.stage,
        "connectedAt": connection.connected_at,
        "requestTimeEpoch": time_ms,
        "identity": identity,
        "requestId": request_id,
        "domainName": connection.domain_name,
        "connectionId": connection.connection_id,
        "apiId": connection.api_id,
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "CONNECT":
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            single[name] = value
            multi.setdefault(name, []).append(value)
        event["headers"], event["multiValueHeaders"] = single, multi
        if query:
            event["queryStringParameters"] = {k: v[-1] for k, v in query.items()}
            event["multiValueQueryStringParameters"] = dict(query)
    elif event_type == "MESSAGE":
        context["messageId"] = request_id
        if isinstance(body, bytes):
            event["body"] = b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = body or ""
    else:
        context["disconnectStatusCode"] = disconnect_status_code
        context["disconnectReason"] = disconnect_reason
        # Both samples carry this stub header set on DISCONNECT, not the client's headers.
        stub = {
            "Host": connection.domain_name,
            "x-api-key": "",
            "X-Forwarded-For": "",
            "x-restapi": "",
        }
        event["headers"] = stub
        event["multiValueHeaders"] = {name: [value] for name, value in stub.items()}
    return event


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _request_time(time_ms: int) -> str:
    """`11/Nov/2024:11:35:24 +0000`, as the samples' `requestTime`."""
    moment = time.gmtime(time_ms / 1000)
    return time.strftime(f"%d/{_MONTHS[moment.tm_mon - 1]}/%Y:%H:%M:%S +0000", moment)


__all__ = [
    "CONNECTION_SECONDS",
    "FRAME_LIMIT",
    "IDLE_SECONDS",
    "MESSAGE_LIMIT",
    "NAME",
    "Connection",
    "WebSocketEvent",
    "build_event",
    "connect_answer",
    "matches",
    "parse",
]
