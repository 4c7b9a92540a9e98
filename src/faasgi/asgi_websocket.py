"""Run an ASGI app's websocket endpoint for one API Gateway WebSocket invocation.

A connection is a series of invocations, on any instance; each one runs the endpoint from
its start with a scope rebuilt from the connection's `$connect` (kept in the registry):

- every invocation first receives `websocket.connect`; the app's `websocket.accept` is
  the handshake's answer on `$connect` (200, with the chosen subprotocol) and a no-op
  afterwards (the connection is open already); `websocket.close` or a denial response on
  `$connect` refuses it (403, or the denial's status);
- a message invocation then receives one `websocket.receive`; `$disconnect` one
  `websocket.disconnect` with API Gateway's close code;
- when the app waits for anything more, the invocation is over: its task is cancelled at
  that `receive()` (CancelledError), because the client has not left (a
  `websocket.disconnect` would run the app's "client left" code on every message) and the
  next message may run anywhere else; `finally:` blocks run;
- `websocket.send` posts through the management API; `websocket.close` after `$connect`
  deletes the connection.

Never keeps anything about a connection in the process between invocations.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from faasgi.errors import MalformedEvent
from faasgi.events import aws_websocket
from faasgi.events.aws_websocket import WebSocketEvent, connect_answer
from faasgi.lifecycle import Invocation, _current
from faasgi.logs import report, report_logger

if TYPE_CHECKING:
    from faasgi.function import Handler
    from faasgi.websockets import Hub

logger = logging.getLogger("faasgi.asgi_websocket")

WEBSOCKET_ASGI = {"version": "3.0", "spec_version": "2.4"}
_OK = {"statusCode": 200}


class WebSocketSetupError(Exception):
    """The app's websocket endpoint cannot be found or run (a setup mistake)."""


def websocket_paths(app: Any) -> Iterator[str]:
    """The paths of a Starlette/FastAPI app's websocket routes, through Mounts and the
    `.app` of middleware wrappers; nothing for other apps."""
    routing = sys.modules.get("starlette.routing")
    if routing is None:
        return
    seen = 0
    while app is not None and seen < 16 and getattr(app, "routes", None) is None:
        app, seen = getattr(app, "app", None), seen + 1
    yield from _route_paths(getattr(app, "routes", None) or (), "", routing)


def _route_paths(routes: Any, prefix: str, routing: Any) -> Iterator[str]:
    for route in routes:
        if isinstance(route, routing.WebSocketRoute):
            yield prefix + route.path
        elif isinstance(route, routing.Mount):
            yield from _route_paths(route.routes or (), prefix + route.path, routing)


def endpoint_path(app: Any, configured: str | None) -> str:
    """`websocket_path` when given, else the app's only websocket route."""
    if configured:
        return "/" + configured.lstrip("/")
    paths = sorted(set(websocket_paths(app)))
    if len(paths) == 1 and "{" not in paths[0]:
        return paths[0]
    if not paths:
        found = "the app has no websocket route faasgi can see"
    elif len(paths) == 1:
        found = f"its websocket route {paths[0]!r} has path parameters"
    else:
        found = f"the app has several websocket routes ({', '.join(paths)})"
    raise WebSocketSetupError(
        f"faasgi cannot tell which websocket endpoint serves the WebSocket API: {found}; "
        'name it with serverless(app, websocket_path="/ws")'
    )


_paths: weakref.WeakKeyDictionary[Handler, str] = weakref.WeakKeyDictionary()


def serve_event(handler: Handler, event: Any, context: Any) -> dict[str, Any]:
    """The Handler's entry for a WebSocket API event: the integration's answer."""
    runner = handler._ready()
    cold = handler.instance.next_is_cold()
    app = getattr(runner, "app", None)
    loop = getattr(runner, "loop", None)
    if loop is None or app is None:
        logger.error(
            "a WebSocket API event reached a WSGI app: WebSockets need an ASGI app "
            "(FastAPI, Starlette); see docs/websockets.md"
        )
        return {"statusCode": 501, "body": "WebSockets need an ASGI app"}
    try:
        parsed = aws_websocket.parse(event)
    except MalformedEvent as error:
        logger.warning("malformed WebSocket event: %s", error)
        return {"statusCode": 400, "body": f"Bad Request: {error}"}
    path = _paths.get(handler)
    if path is None:
        try:
            path = _paths[handler] = endpoint_path(app, getattr(handler, "websocket_path", None))
        except WebSocketSetupError as error:
            logger.error("%s", error)
            return {"statusCode": 500, "body": "WebSocket endpoint not configured"}
    invocation = Invocation(event, context, aws_websocket.NAME, cold)
    token = _current.set(invocation)
    try:
        state = runner.lifespan.state if hasattr(runner, "lifespan") else {}
        session = WebSocketInvocation(app, parsed, path, state, invocation)
        answer: dict[str, Any] = loop.run(session.run())
    finally:
        _current.reset(token)
    if report_logger.isEnabledFor(logging.INFO):  # the opt-in REPORT line, as for HTTP
        report(invocation, int(answer.get("statusCode", 200)), handler.instance.init_ms)
    return answer


class WebSocketInvocation:
    """One invocation's exchange with the app's websocket endpoint."""

    def __init__(
        self,
        app: Any,
        event: WebSocketEvent,
        path: str,
        state: dict[str, Any],
        invocation: Invocation,
    ) -> None:
        from faasgi import websockets

        self.app = app
        self.event = event
        self.path = path
        self.state = state
        self.invocation = invocation
        self.websockets = websockets
        self.hub: Hub = websockets.hub()
        self.endpoint = websockets.endpoint_for(event.domain_name, event.stage)
        self.received = 0
        self.accepted = False
        self.subprotocol: str | None = None
        self.accept_headers: list[tuple[str, str]] = []
        self.denial: dict[str, Any] | None = None
        self.denial_body: list[bytes] = []
        self.closed = False
        self.dropped = 0
        self._parked: asyncio.Event | None = None

    async def run(self) -> dict[str, Any]:
        websockets = self.websockets
        event = self.event
        token = websockets._current.set(
            websockets.CurrentConnection(event.connection_id, self.endpoint, event.event_type)
        )
        try:
            return await self._run()
        finally:
            websockets._current.reset(token)

    async def _run(self) -> dict[str, Any]:
        event = self.event
        record = None
        if event.event_type != "CONNECT":
            record = await asyncio.to_thread(self.hub.registry.get, event.connection_id)
            if record is None:
                logger.warning(
                    "connection %s is not in the registry (expired, or $connect failed): "
                    "its path, query and headers are unknown",
                    event.connection_id,
                )
        scope = self.scope(record)
        self._parked = asyncio.Event()
        task = asyncio.ensure_future(self.app(scope, self.receive, self.send))
        parked = asyncio.ensure_future(self._parked.wait())
        failed = False
        try:
            await asyncio.wait({task, parked}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                task.cancel()  # the app waits for a message this invocation does not have
            try:
                await task
            except asyncio.CancelledError:
                if not self._parked.is_set():
                    raise
            except Exception:
                failed = True
                logger.exception(
                    "the app's websocket endpoint raised on %s (connection %s)",
                    event.route_key,
                    event.connection_id,
                )
        finally:
            parked.cancel()
            if event.event_type == "DISCONNECT":
                await asyncio.to_thread(self.hub.registry.remove, event.connection_id)
        return await self.answer(failed)

    async def answer(self, failed: bool) -> dict[str, Any]:
        event = self.event
        if event.event_type != "CONNECT":
            if self.closed and event.event_type == "MESSAGE":
                await asyncio.to_thread(
                    self.hub.management.delete, self.endpoint, event.connection_id
                )
            return {"statusCode": 500} if failed else dict(_OK)
        if self.dropped:
            logger.warning(
                "%d message(s) sent during $connect were dropped: API Gateway opens the "
                "connection only once $connect has answered; send them on the first message",
                self.dropped,
            )
        if self.accepted and not failed and not self.closed:
            return connect_answer(200, subprotocol=self.subprotocol, headers=self.accept_headers)
        if self.accepted:  # accepted, then closed or failed: nobody will be connected
            await asyncio.to_thread(self.hub.registry.remove, event.connection_id)
        if self.denial is not None:
            headers = [
                (bytes(n).decode("latin-1"), bytes(v).decode("latin-1"))
                for n, v in self.denial.get("headers", ())
            ]
            status = int(self.denial.get("status", 403))
            return connect_answer(status, headers=headers, body=b"".join(self.denial_body))
        return connect_answer(500 if failed else 403)

    def scope(self, record: Any) -> dict[str, Any]:
        event = self.event
        if event.event_type == "CONNECT":
            path, query, headers = self.path, event.query_string, event.headers
        elif record is not None:
            path, query, headers = record.path, record.query_string, record.headers
        else:
            path, query, headers = self.path, "", []
        subprotocols = [
            part.strip()
            for name, value in headers
            if name == "sec-websocket-protocol"
            for part in value.split(",")
            if part.strip()
        ]
        host = event.domain_name or "localhost"
        return {
            "type": "websocket",
            "asgi": WEBSOCKET_ASGI,
            "http_version": "1.1",
            "scheme": "wss",
            "server": (host, 443),
            "client": (event.source_ip, 0) if event.source_ip else None,
            "root_path": "",
            "path": path,
            "raw_path": path.encode("utf-8"),
            "query_string": query.encode("latin-1", "replace"),
            "headers": [(n.encode("latin-1"), v.encode("latin-1", "replace")) for n, v in headers],
            "subprotocols": subprotocols,
            "state": self.state.copy(),
            "extensions": {"faasgi": self.invocation, "websocket.http.response": {}},
            "aws.event": self.invocation.event,
            "aws.context": self.invocation.context,
        }

    async def receive(self) -> dict[str, Any]:
        self.received += 1
        event = self.event
        if self.received == 1:
            return {"type": "websocket.connect"}
        if self.received == 2 and event.event_type == "MESSAGE":
            body = event.body
            if isinstance(body, bytes):
                return {"type": "websocket.receive", "bytes": body, "text": None}
            return {"type": "websocket.receive", "bytes": None, "text": body or ""}
        if self.received == 2 and event.event_type == "DISCONNECT":
            code = event.disconnect_status_code or 1005
            return {"type": "websocket.disconnect", "code": code, "reason": event.disconnect_reason}
        assert self._parked is not None
        if self._parked.is_set():
            # Asked again after the cancellation (an app that caught it): never wait twice.
            raise asyncio.CancelledError()
        self._parked.set()
        await asyncio.get_running_loop().create_future()  # cancelled by `_run`
        raise AssertionError("unreachable")

    async def send(self, message: Any) -> None:
        kind = message["type"]
        event = self.event
        connect = event.event_type == "CONNECT"
        if kind == "websocket.accept":
            if connect and not self.accepted:
                self.subprotocol = message.get("subprotocol")
                self.accept_headers = [
                    (bytes(n).decode("latin-1"), bytes(v).decode("latin-1"))
                    for n, v in message.get("headers") or ()
                ]
                await asyncio.to_thread(self.hub.registry.register, self._record())
            self.accepted = True
        elif kind == "websocket.send":
            if not self.accepted:
                raise RuntimeError("'websocket.send' before 'websocket.accept'")
            if self.closed:
                raise RuntimeError("'websocket.send' after 'websocket.close'")
            data = message.get("bytes")
            if data is None:
                data = message.get("text") or ""
            if connect:
                self.dropped += 1
            elif event.event_type == "MESSAGE":
                await asyncio.to_thread(
                    self.hub.send, event.connection_id, data, endpoint=self.endpoint
                )
            # On $disconnect the client is gone: there is nobody to send to.
        elif kind == "websocket.close":
            self.closed = True
        elif kind == "websocket.http.response.start":
            if not connect or self.accepted:
                raise RuntimeError("a denial response is only possible before accepting")
            self.denial = dict(message)
        elif kind == "websocket.http.response.body":
            if self.denial is None:
                raise RuntimeError("'websocket.http.response.body' before its start")
            self.denial_body.append(bytes(message.get("body", b"")))
        else:
            raise RuntimeError(f"unsupported ASGI message type {kind!r}")

    def _record(self) -> Any:
        from faasgi.state.connections import ConnectionRecord

        event = self.event
        return ConnectionRecord(
            connection_id=event.connection_id,
            endpoint=self.endpoint,
            path=self.path,
            query_string=event.query_string,
            headers=list(event.headers),
            subprotocol=self.subprotocol,
            connected_at=event.connected_at,
        )


__all__ = ["WebSocketInvocation", "WebSocketSetupError", "endpoint_path", "serve_event"]
