"""The emulator's API Gateway WebSocket API: browser WebSocket connections (uvicorn, on the
HTTP port) become `$connect` / message / `$disconnect` events through the instance pool,
and the management API (`POST|GET|DELETE /@connections/{id}`, also under `/{stage}/`)
reaches them, so `post_to_connection` from any instance arrives in the browser.

As on API Gateway, the path a client connects to is not passed to the function (it is
the stage URL there); every path is accepted. Platform behaviour copied, with sources:
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
(a `$connect` answer other than 200 refuses the handshake),
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html
(a binary frame closes the connection with 1003),
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
(128 KB messages, 10 min idle, 2 h per connection). Messages are routed by the API's
`routeSelectionExpression` (websocket_routes.py); a template's API brings a route table
(one invoker per route key) and a `$connect` authorizer. Knows nothing about processes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final
from urllib.parse import parse_qs, unquote

from faasgi.events import aws_websocket
from faasgi.events.aws_websocket import MESSAGE_LIMIT, Connection, EventType
from faasgi.local.pool import Outcome
from faasgi.local.websocket_routes import DEFAULT_EXPRESSION, RouteSelection

logger = logging.getLogger("faasgi.local.websocket_gateway")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
#: A `$connect` authorizer: (headers, query, connection id) -> (status, authorizer
#: context); a status other than 200 refuses the handshake without invoking `$connect`.
Authorize = Callable[
    [list[tuple[str, str]], dict[str, list[str]], str],
    Awaitable[tuple[int, dict[str, Any] | None]],
]

STAGE: Final = "local"
_CONNECTIONS = "/@connections/"


def create_registry_table(resources: Any, environment: dict[str, str]) -> None:
    """Create `faasgi.websockets`' table in the local DynamoDB, so no app has to name it."""
    if resources.endpoint_url is None:
        return
    from faasgi.state import DynamoDBStore, ensure_table
    from faasgi.state.connections import DEFAULT_TABLE, TABLE_VARIABLE

    name = environment.get(TABLE_VARIABLE) or os.environ.get(TABLE_VARIABLE) or DEFAULT_TABLE
    ensure_table(DynamoDBStore(name, client=resources.client()))


def environment(host: str, port: int) -> dict[str, str]:
    """What instances need to reach this management API (botocore's own variable)."""
    from faasgi.websockets import ENDPOINT_VARIABLE

    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    return {ENDPOINT_VARIABLE: f"http://{shown}:{port}/{STAGE}"}


@dataclass(slots=True)
class LocalConnection:
    """One browser connection held open here."""

    info: Connection
    send: Send
    last_active: float = field(default_factory=time.time)
    closing: bool = False


class WebSocketGateway:
    """ASGI app in front of the HTTP gateway: WebSockets and `@connections` here, the rest
    to `http` (the HTTP gateway)."""

    def __init__(
        self,
        http: Callable[[Scope, Receive, Send], Awaitable[None]],
        invoker: Any,
        *,
        idle_seconds: float = aws_websocket.IDLE_SECONDS,
        connection_seconds: float = aws_websocket.CONNECTION_SECONDS,
        route_selection: str = DEFAULT_EXPRESSION,
        routes: Mapping[str, Any] | None = None,
        authorize: Authorize | None = None,
    ) -> None:
        """`routes`: route key -> invoker, the API's routes (a template's); None: every
        route reaches `invoker` and any key the expression selects is a route."""
        self.http = http
        self.invoker = invoker
        self.selection = RouteSelection(route_selection)
        self.routes = routes
        self.authorize = authorize
        self.idle_seconds = idle_seconds
        self.connection_seconds = connection_seconds
        self.connections: dict[str, LocalConnection] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "http" and _CONNECTIONS in scope["path"]:
            await self._management(scope, receive, send)
        else:
            await self.http(scope, receive, send)

    # -- connections ----------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        first = await receive()
        if first["type"] != "websocket.connect":
            return
        server = scope.get("server") or ("127.0.0.1", 80)
        client = scope.get("client") or ("127.0.0.1", 0)
        headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]]
        user_agent = next((v for n, v in headers if n == "user-agent"), None)
        info = Connection(
            connection_id=_connection_id(),
            domain_name=f"{server[0]}:{server[1]}",
            stage=STAGE,
            connected_at=int(time.time() * 1000),
            source_ip=str(client[0]),
            user_agent=user_agent,
        )
        headers += [("X-Forwarded-For", str(client[0])), ("X-Forwarded-Proto", "http")]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        authorizer = None
        if self.authorize is not None:
            status, authorizer = await self.authorize(headers, query, info.connection_id)
            if status != 200:
                body = json.dumps({"message": "Unauthorized" if status == 401 else "Forbidden"})
                await self._refuse(scope, send, status, {"body": body})
                logger.info("WS $connect %s %d authorizer", info.connection_id, status)
                return
        answer: dict[str, Any] | None = {"statusCode": 200}
        if self.routes is not None and "$connect" not in self.routes:
            outcome = Outcome("", False, None, 0.0, 0.0)
        else:
            answer, outcome = await self._invoke(
                info, "CONNECT", headers=headers, query=query, authorizer=authorizer
            )
        status = int(answer.get("statusCode") or 502) if answer is not None else 502
        if status != 200:
            await self._refuse(scope, send, status, answer)
            logger.info("%s", _line("$connect", info, status, outcome))
            return
        answer_headers = {
            str(k).lower(): str(v) for k, v in (answer or {}).get("headers", {}).items()
        }
        await send(
            {
                "type": "websocket.accept",
                "subprotocol": answer_headers.get("sec-websocket-protocol"),
            }
        )
        logger.info("%s", _line("$connect", info, status, outcome))
        connection = self.connections[info.connection_id] = LocalConnection(info, send)
        try:
            code, reason = await self._messages(connection, receive)
        finally:
            self.connections.pop(info.connection_id, None)
        if self.routes is not None and "$disconnect" not in self.routes:
            return
        answer, outcome = await self._invoke(
            info, "DISCONNECT", disconnect_status_code=code, disconnect_reason=reason
        )
        logger.info("%s", _line("$disconnect", info, _status(answer), outcome))

    async def _messages(self, connection: LocalConnection, receive: Receive) -> tuple[int, str]:
        """Each message becomes an invocation (concurrent, as API Gateway's are); returns
        the close code and reason once the connection has ended."""
        info = connection.info
        deadline = info.connected_at / 1000 + self.connection_seconds
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                wait = min(self.idle_seconds, deadline - time.time())
                try:
                    message = await asyncio.wait_for(receive(), timeout=max(wait, 0.001))
                except asyncio.TimeoutError:
                    await self._close(connection, 1001)
                    return 1001, "Going away"
                kind = message["type"]
                if kind == "websocket.disconnect":
                    return int(message.get("code") or 1005), str(message.get("reason") or "")
                if kind != "websocket.receive":
                    continue
                connection.last_active = time.time()
                text = message.get("text")
                if text is None:
                    await self._close(connection, 1003)  # binary frames are refused
                    return 1003, "Binary frames are not supported"
                if len(text.encode("utf-8")) > MESSAGE_LIMIT:
                    await self._close(connection, 1009)
                    return 1009, "Message too big"
                task = asyncio.create_task(self._message(info, text))
                running.add(task)
                task.add_done_callback(running.discard)
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def _message(self, info: Connection, text: str) -> None:
        route = self.selection.route(text, self.routes)
        if route is None:  # no matching route and no $default: no integration runs
            logger.info("WS message %s no route (no $default route)", info.connection_id)
            return
        answer, outcome = await self._invoke(info, "MESSAGE", body=text, route_key=route)
        logger.info("%s", _line(route, info, _status(answer), outcome))

    async def _invoke(
        self, info: Connection, event_type: EventType, **fields: Any
    ) -> tuple[dict[str, Any] | None, Outcome]:
        request_id = base64.b64encode(os.urandom(12)).decode("ascii")
        event = aws_websocket.build_event(
            info, event_type, request_id=request_id, time_ms=int(time.time() * 1000), **fields
        )
        invoker = self.invoker
        if self.routes is not None:
            invoker = self.routes[event["requestContext"]["routeKey"]]
        outcome: Outcome = await invoker.invoke(
            str(uuid.uuid4()), json.dumps(event).encode("utf-8")
        )
        if outcome.failure is not None:
            return None, outcome
        try:
            answer = json.loads(outcome.payload)
        except ValueError:
            return None, outcome
        return (answer if isinstance(answer, dict) else None), outcome

    async def _refuse(
        self, scope: Scope, send: Send, status: int, answer: dict[str, Any] | None
    ) -> None:
        if "websocket.http.response" not in (scope.get("extensions") or {}):
            await send({"type": "websocket.close", "code": 1008})
            return
        body = ((answer or {}).get("body") or "").encode("utf-8")
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [(b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})

    async def _close(self, connection: LocalConnection, code: int) -> None:
        if not connection.closing:
            connection.closing = True
            try:
                await connection.send({"type": "websocket.close", "code": code})
            except Exception as error:  # the socket is already gone
                logger.debug("close of %s failed: %r", connection.info.connection_id, error)

    # -- the management API ---------------------------------------------------------------

    async def _management(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        connection_id = unquote(path[path.index(_CONNECTIONS) + len(_CONNECTIONS) :])
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        connection = self.connections.get(connection_id)
        method = scope["method"]
        if connection is None or connection.closing:
            await _answer(send, 410, error="GoneException")
        elif method == "POST":
            if len(body) > MESSAGE_LIMIT:
                await _answer(send, 413, error="PayloadTooLargeException")
                return
            try:
                frame = {"type": "websocket.send", "text": body.decode("utf-8")}
            except UnicodeDecodeError:
                frame = {"type": "websocket.send", "bytes": body}
            try:
                await connection.send(frame)
            except Exception:  # closed between the lookup and the send
                await _answer(send, 410, error="GoneException")
                return
            await _answer(send, 200)
        elif method == "GET":
            info = connection.info
            identity = {"sourceIp": info.source_ip}
            if info.user_agent:
                identity["userAgent"] = info.user_agent
            await _answer(
                send,
                200,
                {
                    "connectedAt": _iso(info.connected_at / 1000),
                    "lastActiveAt": _iso(connection.last_active),
                    "identity": identity,
                },
            )
        elif method == "DELETE":
            await self._close(connection, 1000)
            await _answer(send, 204)
        else:
            await _answer(send, 405, error="MethodNotAllowed")


def _connection_id() -> str:
    """An id shaped like API Gateway's: 11 random bytes, base64 (`BFHPhfCWIAMCKlQ=`)."""
    return base64.b64encode(os.urandom(11)).decode("ascii")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status(answer: dict[str, Any] | None) -> int:
    return int(answer.get("statusCode") or 200) if answer is not None else 502


def _line(route: str, info: Connection, status: int, outcome: Outcome) -> str:
    parts = ["WS", route, info.connection_id, str(status), outcome.instance or "-"]
    if outcome.instance:
        parts.append("cold" if outcome.cold else "warm")
        parts.append(f"duration={outcome.duration_ms:.1f}ms")
    if outcome.failure:
        parts.append(f"error={outcome.failure}")
        if outcome.detail:
            parts.append(f"({outcome.detail})")
    return " ".join(parts)


async def _answer(
    send: Send, status: int, payload: dict[str, Any] | None = None, *, error: str | None = None
) -> None:
    """A rest-json answer: errors carry their type in `x-amzn-ErrorType`, as botocore reads."""
    headers = [(b"content-type", b"application/json")]
    if error is not None:
        headers.append((b"x-amzn-errortype", error.encode()))
        payload = {"message": error}
    body = b"" if status == 204 else json.dumps(payload or {}).encode("utf-8")
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = ["STAGE", "LocalConnection", "WebSocketGateway", "create_registry_table", "environment"]
