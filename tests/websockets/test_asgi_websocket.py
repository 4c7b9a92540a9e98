"""An unchanged FastAPI websocket endpoint through API Gateway's WebSocket events (the
samples in tests/fixtures/events): the same replies Starlette's own TestClient gets over
one long-lived connection, as separate $connect / message / $disconnect invocations."""

from __future__ import annotations

import asyncio
import json
import time
import warnings
from typing import Any

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

with warnings.catch_warnings():  # Starlette's note on httpx vs httpx2: not this test's concern
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from faasgi import serverless, websockets
from faasgi.state.connections import ConnectionRegistry

from .conftest import CONNECT, DISCONNECT, GO_DISCONNECT, GO_MESSAGE, MESSAGE, Recorder, sample

pytestmark = pytest.mark.filterwarnings("ignore::faasgi.state.memory.MemoryStoreWarning")

CONNECTION = "BFHPhfCWIAMCKlQ="  # the connect sample's id; the others are set to it


def echo_app(seen: list[Any]) -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol=_chosen(websocket))
        try:
            while True:
                message = await websocket.receive_text()
                seen.append(("message", message))
                await websocket.send_text(f"echo {message}")
        except WebSocketDisconnect as left:
            seen.append(("disconnect", left.code))
        finally:
            seen.append(("finally", websocket.url.path, websocket.query_params.get("room")))

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"http": "still served"}

    return app


def _chosen(websocket: WebSocket) -> str | None:
    offered = websocket.scope["subprotocols"]
    return "chat.v2" if "chat.v2" in offered else None


def connect_event(**extra: Any) -> dict[str, Any]:
    # Connected now: the sample's connection (2024) is past API Gateway's 2-hour limit, and
    # the registry would rightly let its record expire within a second.
    event = sample(CONNECT, connectedAt=int(time.time() * 1000))
    event["queryStringParameters"] = {"room": "blue"}
    event["multiValueQueryStringParameters"] = {"room": ["blue"]}
    event.update(extra)
    return event


def test_echo_matches_starlettes_own_websocket_session(recorder: Recorder) -> None:
    oracle_seen: list[Any] = []
    client = TestClient(echo_app(oracle_seen))
    with client, client.websocket_connect("/ws?room=blue") as session:
        session.send_text(json.loads(MESSAGE.read_text())["body"])
        expected_reply = session.receive_text()

    seen: list[Any] = []
    handler = serverless(echo_app(seen))
    assert handler(connect_event(), None) == {"statusCode": 200}
    message = sample(MESSAGE, connectionId=CONNECTION)
    assert handler(message, None) == {"statusCode": 200}
    assert recorder.posted(CONNECTION) == [expected_reply.encode()]
    assert ("message", message["body"]) in seen
    # The invocation ended where the app waited for a second message: no disconnect was
    # reported (the client is still there), and its finally: ran with the $connect scope.
    assert ("finally", "/ws", "blue") in seen
    assert not any(kind == "disconnect" for kind, *_ in seen)
    # The endpoint of the post is the event's own stage URL.
    assert recorder.log[0][1] == "https://asasasas.execute-api.us-east-1.amazonaws.com/prod"
    handler.shutdown()


def test_disconnect_reports_the_platforms_close_code_and_forgets_the_connection(
    recorder: Recorder,
) -> None:
    seen: list[Any] = []
    handler = serverless(echo_app(seen))
    handler(connect_event(), None)
    websockets.hub().registry.join(CONNECTION, "room")
    answer = handler(sample(DISCONNECT, connectionId=CONNECTION), None)
    assert answer == {"statusCode": 200}
    assert ("disconnect", 1005) in seen  # the sample's disconnectStatusCode
    registry: ConnectionRegistry = websockets.hub().registry
    assert registry.get(CONNECTION) is None
    assert list(registry.members("room")) == []
    assert recorder.log == []  # nothing posted to a client that has left
    handler.shutdown()


def test_aws_lambda_go_samples_reach_the_endpoint(recorder: Recorder) -> None:
    seen: list[Any] = []
    handler = serverless(echo_app(seen))
    go_id = json.loads(GO_MESSAGE.read_text())["requestContext"]["connectionId"]
    connect = connect_event()
    connect["requestContext"]["connectionId"] = go_id
    handler(connect, None)
    assert handler(sample(GO_MESSAGE), None) == {"statusCode": 200}
    assert recorder.posted(go_id) == [b'echo {\r\n\t"a": 1\r\n}']
    handler(sample(GO_DISCONNECT), None)
    assert ("disconnect", 1001) in seen
    handler.shutdown()


def test_connect_answers_the_chosen_subprotocol(recorder: Recorder) -> None:
    handler = serverless(echo_app([]))
    event = connect_event()
    event["headers"]["Sec-WebSocket-Protocol"] = "chat.v1, chat.v2"
    event["multiValueHeaders"]["Sec-WebSocket-Protocol"] = ["chat.v1, chat.v2"]
    answer = handler(event, None)
    assert answer == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat.v2"}}
    handler.shutdown()


def refusing_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def guarded(websocket: WebSocket) -> None:
        if websocket.query_params.get("token") != "let-me-in":
            await websocket.close(code=1008)
            return
        await websocket.accept()

    return app


def test_close_on_connect_refuses_with_403_and_registers_nothing(recorder: Recorder) -> None:
    handler = serverless(refusing_app())
    assert handler(connect_event(), None) == {"statusCode": 403}
    assert websockets.hub().registry.get(CONNECTION) is None
    allowed = connect_event(queryStringParameters={"token": "let-me-in"})
    allowed["multiValueQueryStringParameters"] = {"token": ["let-me-in"]}
    assert handler(allowed, None) == {"statusCode": 200}
    record = websockets.hub().registry.get(CONNECTION)
    assert record is not None and record.query_string == "token=let-me-in"
    handler.shutdown()


def test_binary_body_arrives_as_bytes(recorder: Recorder) -> None:
    app = FastAPI()

    @app.websocket("/ws")
    async def size(websocket: WebSocket) -> None:
        await websocket.accept()
        data = await websocket.receive_bytes()
        await websocket.send_bytes(len(data).to_bytes(4, "big"))

    handler = serverless(app)
    handler(connect_event(), None)
    message = sample(MESSAGE, connectionId=CONNECTION)
    message["body"], message["isBase64Encoded"] = "AAEC/w==", True  # bytes 00 01 02 ff
    handler(message, None)
    assert recorder.posted(CONNECTION) == [(4).to_bytes(4, "big")]
    handler.shutdown()


def test_two_websocket_routes_need_websocket_path(recorder: Recorder, caplog: Any) -> None:
    app = echo_app([])

    @app.websocket("/other")
    async def other(websocket: WebSocket) -> None:
        await websocket.accept()

    handler = serverless(app)
    assert handler(connect_event(), None)["statusCode"] == 500
    assert 'websocket_path="/ws"' in caplog.text
    assert "/other" in caplog.text
    named = serverless(app, websocket_path="/other")
    assert named(connect_event(), None) == {"statusCode": 200}
    handler.shutdown()
    named.shutdown()


def test_a_wsgi_app_gets_a_clear_error(caplog: Any) -> None:
    def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b""]

    handler = serverless(wsgi_app)
    answer = handler(connect_event(), None)
    assert answer["statusCode"] == 501
    assert "WebSockets need an ASGI app" in caplog.text


def test_http_events_still_reach_the_app_after_websocket_ones(recorder: Recorder) -> None:
    from tests.conftest import EVENTS

    handler = serverless(echo_app([]))
    handler(connect_event(), None)
    http = json.loads(
        (EVENTS / "aws-powertools-lambda-python" / "apiGatewayProxyV2Event_GET.json").read_text()
    )
    http["rawPath"] = "/"
    http["requestContext"]["http"]["path"] = "/"
    http["requestContext"]["http"]["method"] = "GET"
    answer = handler(http, None)
    assert json.loads(answer["body"]) == {"http": "still served"}
    assert handler(sample(MESSAGE, connectionId=CONNECTION), None) == {"statusCode": 200}
    handler.shutdown()


def test_report_line_names_the_websocket_source(recorder: Recorder, caplog: Any) -> None:
    handler = serverless(echo_app([]), report=True)
    with caplog.at_level("INFO", logger="faasgi.report"):
        handler(connect_event(), None)
    reports = [r.faasgi for r in caplog.records if hasattr(r, "faasgi")]  # type: ignore[attr-defined]
    assert [(r["source"], r["status"], r["cold"]) for r in reports] == [
        ("aws-websocket", 200, True)
    ]
    handler.shutdown()


def test_an_app_that_swallows_the_cancellation_cannot_hold_the_invocation(
    recorder: Recorder,
) -> None:
    app = FastAPI()
    attempts: list[str] = []

    @app.websocket("/ws")
    async def stubborn(websocket: WebSocket) -> None:
        await websocket.accept()
        for _ in range(3):
            try:
                await websocket.receive_text()
            except asyncio.CancelledError:
                attempts.append("cancelled")
        await websocket.send_text("gave up")

    handler = serverless(app)
    assert handler(connect_event(), None) == {"statusCode": 200}
    assert attempts == ["cancelled", "cancelled", "cancelled"]
    handler.shutdown()


def test_a_send_during_connect_is_dropped_with_a_warning(recorder: Recorder, caplog: Any) -> None:
    app = FastAPI()

    @app.websocket("/ws")
    async def welcome(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("welcome")  # API Gateway has not opened it yet
        await websocket.receive_text()

    handler = serverless(app)
    assert handler(connect_event(), None) == {"statusCode": 200}
    assert recorder.log == []
    assert "1 message(s) sent during $connect were dropped" in caplog.text
    handler.shutdown()


def test_close_on_a_message_deletes_the_connection(recorder: Recorder) -> None:
    app = FastAPI()

    @app.websocket("/ws")
    async def bye(websocket: WebSocket) -> None:
        await websocket.accept()
        if await websocket.receive_text():
            await websocket.close(code=1000)

    handler = serverless(app)
    handler(connect_event(), None)
    assert handler(sample(MESSAGE, connectionId=CONNECTION), None) == {"statusCode": 200}
    endpoint = "https://asasasas.execute-api.us-east-1.amazonaws.com/prod"
    assert recorder.log == [("delete", endpoint, CONNECTION, b"")]
    handler.shutdown()
