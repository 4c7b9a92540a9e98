"""WebSockets on an Alibaba FC 3.0 custom runtime: `python -m faasgi.custom_runtime` hands
a WebSocket upgrade request to the ASGI app's websocket endpoint, on the real connection,
for as long as it lasts.

FC supports WebSockets through an HTTP trigger on a web function (custom runtime or
custom container) that is itself the WebSocket server; the connection lasts until it
closes or the function's execution timeout, when FC closes it (the client sees 1006)
(https://help.aliyun.com/en/functioncompute/fc/user-guide/configure-an-http-trigger-for-a-function-that-is-triggered-by-websocket-requests-1).
So, unlike on API Gateway, the endpoint runs once per connection, as under any ASGI
server. The handshake and framing are the `websockets` library's (its Sans-I/O
`ServerProtocol`); this module only moves bytes between it, the socket and the app,
which runs on the handler's own event loop. Never reads a frame itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

logger = logging.getLogger("faasgi.fc_websocket")

_READ_SIZE = 65536


def serve_upgrade(request: BaseHTTPRequestHandler) -> None:
    """Serve one WebSocket connection on this request's socket, until it closes."""
    request.close_connection = True  # after the WebSocket, nothing more on this socket
    function: Any = request.server.function  # type: ignore[attr-defined]
    runner = function._ready()
    app = getattr(runner, "app", None)
    loop = getattr(runner, "loop", None)
    if app is None or loop is None:
        request.send_error(501, "WebSockets need an ASGI app (FastAPI, Starlette)")
        return
    try:
        connection = DirectConnection(request.connection, _request_bytes(request))
    except ImportError:
        request.send_error(501, "WebSockets need: pip install 'faasgi[websockets]'")
        return
    if connection.request is None:
        request.send_error(400, "Bad WebSocket handshake")
        return
    scope = connection.scope(request, getattr(runner, "lifespan", None))
    try:
        loop.run(connection.run(app, scope))
    finally:
        connection.finish()


class DirectConnection:
    """One WebSocket connection between a socket and an ASGI app."""

    def __init__(self, sock: socket.socket, handshake: bytes) -> None:
        from websockets.server import ServerProtocol

        self.sock = sock
        self.chosen: list[str | None] = [None]
        chosen = self.chosen

        def select(protocol: Any, offered: Any) -> Any:
            """The subprotocol the app named in `websocket.accept`, if the client offered it."""
            return chosen[0] if chosen[0] in offered else None

        self.protocol = ServerProtocol(select_subprotocol=select)
        # The HTTP server has read the request already; the protocol parses it again
        # from its bytes, so that what follows is read as frames.
        self.protocol.receive_data(handshake)
        parsed = self.protocol.events_received()
        self.request: Any = parsed[0] if parsed else None
        self._lock = threading.Lock()
        self.accepted = False
        self.closed = False
        self.connected_sent = False
        self._denial: dict[str, Any] | None = None
        self._parts: list[bytes] = []
        self._text = False
        self._events: list[Any] = []
        self._eof = False

    def scope(self, request: BaseHTTPRequestHandler, lifespan: Any) -> dict[str, Any]:
        path, _, query = request.path.partition("?")
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
            for name, value in request.headers.items()
        ]
        offered = request.headers.get("sec-websocket-protocol") or ""
        from urllib.parse import unquote

        return {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "ws",
            "path": unquote(path),
            "raw_path": path.encode("latin-1", "replace"),
            "query_string": query.encode("latin-1", "replace"),
            "root_path": "",
            "headers": headers,
            "client": tuple(request.client_address[:2]),
            "server": _address(request.server),
            "subprotocols": [p.strip() for p in offered.split(",") if p.strip()],
            "state": dict(lifespan.state) if lifespan is not None else {},
            "extensions": {"websocket.http.response": {}},
        }

    async def run(self, app: Any, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self.receive, self.send)
        except Exception:
            logger.exception("the app's websocket endpoint raised")
            if self.accepted and not self.closed:
                await self.send({"type": "websocket.close", "code": 1011})
            elif not self.accepted:
                self._respond(self.protocol.reject(500, "Internal Server Error"))
            return
        if not self.accepted and not self.closed:
            self._respond(self.protocol.reject(403, "Forbidden"))
        elif not self.closed:
            await self.send({"type": "websocket.close", "code": 1000})

    async def receive(self) -> dict[str, Any]:
        if not self.connected_sent:
            self.connected_sent = True
            return {"type": "websocket.connect"}
        return await asyncio.to_thread(self._next_message)

    async def send(self, message: Any) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self.chosen[0] = message.get("subprotocol")
            response = self.protocol.accept(self.request)
            for name, value in message.get("headers") or ():
                response.headers[bytes(name).decode("latin-1")] = bytes(value).decode("latin-1")
            self._respond(response)
            self.accepted = response.status_code == 101
            self.closed = not self.accepted
        elif kind == "websocket.send":
            data = message.get("bytes")
            with self._lock:
                if data is not None:
                    self.protocol.send_binary(bytes(data))
                else:
                    self.protocol.send_text((message.get("text") or "").encode("utf-8"))
                self._flush()
        elif kind == "websocket.close":
            if not self.accepted:
                self._respond(self.protocol.reject(403, "Forbidden"))
            elif not self.closed:
                with self._lock:
                    self.protocol.send_close(
                        message.get("code") or 1000, message.get("reason") or ""
                    )
                    self._flush()
            self.closed = True
        elif kind == "websocket.http.response.start":
            self._denial = {"status": message["status"], "body": []}
        elif kind == "websocket.http.response.body":
            assert self._denial is not None
            self._denial["body"].append(bytes(message.get("body", b"")))
            if not message.get("more_body"):
                text = b"".join(self._denial["body"]).decode("utf-8", "replace")
                self._respond(self.protocol.reject(self._denial["status"], text))
                self.closed = True
        else:
            raise RuntimeError(f"unsupported ASGI message type {kind!r}")

    def _respond(self, response: Any) -> None:
        with self._lock:
            self.protocol.send_response(response)
            self._flush()

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def _next_message(self) -> dict[str, Any]:
        """Block until the client's next whole message or its close (in a worker thread)."""
        from websockets.frames import Opcode

        while True:
            with self._lock:
                self._events.extend(self.protocol.events_received())
            while self._events:
                frame = self._events.pop(0)
                if frame.opcode is Opcode.CLOSE:
                    received = self.protocol.close_rcvd
                    code = received.code if received is not None else 1005
                    return {"type": "websocket.disconnect", "code": code, "reason": ""}
                if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
                    self._text = frame.opcode is Opcode.TEXT
                    self._parts = [frame.data]
                elif frame.opcode is Opcode.CONT:
                    self._parts.append(frame.data)
                else:
                    continue  # ping/pong: the protocol has answered already
                if frame.fin:
                    data = b"".join(self._parts)
                    self._parts = []
                    if self._text:
                        return {"type": "websocket.receive", "text": data.decode("utf-8")}
                    return {"type": "websocket.receive", "bytes": data}
            if self._eof:
                return {"type": "websocket.disconnect", "code": 1006, "reason": ""}
            try:
                data = self.sock.recv(_READ_SIZE)
            except OSError:
                data = b""
            with self._lock:
                if data:
                    self.protocol.receive_data(data)
                else:
                    self._eof = True
                    self.protocol.receive_eof()
                try:
                    self._flush()  # pongs, the close handshake's answer
                except OSError:
                    self._eof = True

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


def _request_bytes(request: BaseHTTPRequestHandler) -> bytes:
    """The upgrade request as it came on the wire (the request line and the headers)."""
    lines = [request.requestline]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def _address(server: Any) -> tuple[str, int]:
    host, port = server.server_address[:2]
    return str(host), int(port)


__all__ = ["DirectConnection", "serve_upgrade"]
