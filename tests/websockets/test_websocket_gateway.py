"""The emulator's WebSocket front in-process (uvicorn on loopback, an invoker that answers
at once): the events it builds for each invocation, and the closes API Gateway makes —
1009 over 128 KB, 1001 when idle (shortened here) — each followed by `$disconnect`."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from faasgi.events import aws_websocket
from faasgi.local.pool import Outcome
from faasgi.local.websocket_gateway import WebSocketGateway

uvicorn = pytest.importorskip("uvicorn")
ws_client = pytest.importorskip("websockets.sync.client")
from websockets.exceptions import ConnectionClosed  # noqa: E402


class Invoker:
    """Answers every event 200 and keeps it, as parsed by the events module."""

    def __init__(self) -> None:
        self.events: list[aws_websocket.WebSocketEvent] = []

    async def invoke(self, request_id: str, event: bytes) -> Outcome:
        self.events.append(aws_websocket.parse(json.loads(event)))
        return Outcome("i-test", False, None, 0.1, 0.0, payload=b'{"statusCode": 200}')


async def no_http(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("no HTTP here")


@pytest.fixture
def front() -> Iterator[tuple[str, Invoker]]:
    invoker = Invoker()
    gateway = WebSocketGateway(no_http, invoker, idle_seconds=0.5)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(gateway, lifespan="off", log_level="warning"))
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"ws://127.0.0.1:{port}", invoker
    server.should_exit = True
    thread.join(10)


def wait_for_disconnect(invoker: Invoker) -> aws_websocket.WebSocketEvent:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for event in invoker.events:
            if event.event_type == "DISCONNECT":
                return event
        time.sleep(0.02)
    raise AssertionError(f"no $disconnect in {invoker.events}")


def test_connect_carries_the_handshake_and_messages_the_text(front: tuple[str, Invoker]) -> None:
    url, invoker = front
    with ws_client.connect(url + "/anything?room=blue&room=red") as client:
        client.send("hello")
        deadline = time.monotonic() + 10
        while len(invoker.events) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    connect, message = invoker.events[:2]
    assert (connect.event_type, connect.route_key) == ("CONNECT", "$connect")
    assert connect.query_string == "room=blue&room=red"
    assert ("sec-websocket-version", "13") in connect.headers
    assert (message.event_type, message.body, message.headers) == ("MESSAGE", "hello", [])
    assert message.connection_id == connect.connection_id
    assert wait_for_disconnect(invoker).disconnect_status_code == 1000


def test_a_message_over_128_kb_closes_with_1009(front: tuple[str, Invoker]) -> None:
    url, invoker = front
    with ws_client.connect(url, max_size=None) as client:
        client.send("x" * (128 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert wait_for_disconnect(invoker).disconnect_status_code == 1009


def test_an_idle_connection_is_closed(front: tuple[str, Invoker]) -> None:
    url, invoker = front
    with ws_client.connect(url) as client, pytest.raises(ConnectionClosed) as closed:
        client.recv(timeout=10)  # sends nothing: idle after 0.5 s here (10 min on AWS)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert wait_for_disconnect(invoker).disconnect_status_code == 1001
