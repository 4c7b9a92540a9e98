"""WebSockets on FC's custom runtime: the HTTP server `python -m faasgi.custom_runtime`
runs serves a WebSocket upgrade with the app's endpoint on the real connection (FC's
model: https://help.aliyun.com/en/functioncompute/fc/user-guide/configure-an-http-trigger-for-a-function-that-is-triggered-by-websocket-requests-1),
checked with the `websockets` client over loopback, next to plain HTTP on the same port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from faasgi.custom_runtime import make_server

ws_client = pytest.importorskip("websockets.sync.client")
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

SEEN: list[Any] = []


def make_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        if websocket.query_params.get("token") == "wrong":
            await websocket.close(code=1008)
            return
        offered = websocket.scope["subprotocols"]
        await websocket.accept(subprotocol="chat.v2" if "chat.v2" in offered else None)
        count = 0  # a local: on a real connection it lives as long as the connection
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    raise WebSocketDisconnect(message["code"])
                count += 1
                if message.get("text") is not None:
                    await websocket.send_text(f"{count}: {message['text']}")
                else:
                    await websocket.send_bytes(message["bytes"][::-1])
        except WebSocketDisconnect as left:
            SEEN.append(("disconnect", left.code))

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "http"}

    return app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server = make_server(make_app(), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    server.function.shutdown()


def test_one_connection_runs_the_endpoint_once_with_its_locals(url: str) -> None:
    with ws_client.connect(f"ws://{url}/ws", subprotocols=["chat.v1", "chat.v2"]) as client:
        assert client.subprotocol == "chat.v2"
        client.send("a")
        assert client.recv(timeout=10) == "1: a"
        client.send("b")
        assert client.recv(timeout=10) == "2: b"  # the same coroutine: its count went on
        client.send(b"\x01\x02\x03")
        assert client.recv(timeout=10) == b"\x03\x02\x01"
        client.send("x" * 100_000)  # several frames' worth, one message
        assert client.recv(timeout=10) == "4: " + "x" * 100_000
    assert httpx.get(f"http://{url}/hello").json() == {"hello": "http"}
    deadline = threading.Event()
    for _ in range(100):
        if ("disconnect", 1000) in SEEN:
            break
        deadline.wait(0.05)
    assert ("disconnect", 1000) in SEEN


def test_close_before_accept_refuses_the_handshake_with_403(url: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        ws_client.connect(f"ws://{url}/ws?token=wrong")
    assert refused.value.response.status_code == 403


def test_http_and_websocket_share_the_port_and_the_instance(url: str) -> None:
    with ws_client.connect(f"ws://{url}/ws") as client:
        assert httpx.get(f"http://{url}/hello").json() == {"hello": "http"}
        client.send("still here")
        assert client.recv(timeout=10) == "1: still here"
        client.close()
        with pytest.raises(ConnectionClosed):
            client.recv(timeout=10)
