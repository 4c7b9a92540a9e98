"""`faasgi replay` of recorded WebSocket API invocations (`$connect`, messages,
`$disconnect`): what a handler posts to its connections while replaying goes to a
management API on loopback that takes every call (POST 200, GET 200, DELETE 204), never
to AWS, and `faasgi.websockets`' registry table exists in the replay's DynamoDB. Only the
function's answers are compared, as for every recorded invocation.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_EVENT_TYPES = frozenset({"CONNECT", "MESSAGE", "DISCONNECT"})


def is_websocket(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    context = event.get("requestContext")
    return isinstance(context, dict) and context.get("eventType") in _EVENT_TYPES


class _Management(BaseHTTPRequestHandler):
    def _answer(self, status: int, payload: Any = None) -> None:
        body = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self._answer(200, {})

    def do_GET(self) -> None:
        now = "1970-01-01T00:00:00Z"
        self._answer(200, {"connectedAt": now, "lastActiveAt": now, "identity": {}})

    def do_DELETE(self) -> None:
        self._answer(204)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def management(records: list[tuple[Any, Any]], resources: Any) -> Iterator[None]:
    """Around the replay when some record is a WebSocket invocation."""
    if not any(is_websocket(record.get("event")) for _, record in records):
        yield
        return
    from faasgi.local.websocket_gateway import create_registry_table
    from faasgi.websockets import ENDPOINT_VARIABLE

    create_registry_table(resources, {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Management)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    os.environ[ENDPOINT_VARIABLE] = f"http://127.0.0.1:{server.server_address[1]}/local"
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


__all__ = ["is_websocket", "management"]
