"""API Gateway's route selection (`routeSelectionExpression`) as the emulator applies it.
Expected keys come from the documentation's own examples and rules:
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
(exact match of the evaluated value, else `$default`, non-JSON to `$default`, results
stringified) and
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html
(`${request.body.version}-beta`, `\\$` escapes)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from faasgi.events import aws_websocket
from faasgi.local.pool import Outcome
from faasgi.local.websocket_gateway import WebSocketGateway
from faasgi.local.websocket_routes import RouteSelection

#: The documentation's example message.
JOIN = json.dumps({"service": "chat", "action": "join", "data": {"room": "room1234"}})


def test_the_action_field_selects_the_route() -> None:
    selection = RouteSelection("$request.body.action")
    assert selection.route(JOIN, {"join", "$default"}) == "join"
    assert selection.route(JOIN, None) == "join"  # one function with every route


def test_non_json_a_missing_field_or_an_unknown_key_go_to_default() -> None:
    selection = RouteSelection("$request.body.action")
    routes = {"join", "$default"}
    assert selection.route("hello", routes) == "$default"
    assert selection.route(json.dumps({"data": 1}), routes) == "$default"
    assert selection.route(json.dumps({"action": "leave"}), routes) == "$default"
    assert selection.route(json.dumps(["action", "join"]), routes) == "$default"


def test_without_a_default_route_an_unmatched_message_has_none() -> None:
    assert RouteSelection("$request.body.action").route("hello", {"join"}) is None


def test_braces_nested_paths_and_stringified_values() -> None:
    assert RouteSelection("${request.body.version}-beta").evaluate('{"version": 2}') == "2-beta"
    assert RouteSelection("$request.body.data.room").evaluate(JOIN) == "room1234"
    assert RouteSelection("\\$default").route(JOIN, {"$default"}) == "$default"


def test_an_expression_without_a_body_field_is_refused() -> None:
    with pytest.raises(ValueError, match=r"request\.body"):
        RouteSelection("$request.header.Host")


uvicorn = pytest.importorskip("uvicorn")
ws_client = pytest.importorskip("websockets.sync.client")
from websockets.exceptions import InvalidStatus  # noqa: E402


class Invoker:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def invoke(self, request_id: str, event: bytes) -> Outcome:
        self.events.append(json.loads(event))
        return Outcome("i-test", False, None, 0.1, 0.0, payload=b'{"statusCode": 200}')


async def no_http(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("no HTTP here")


@contextmanager
def serving(gateway: WebSocketGateway) -> Iterator[str]:
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
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(10)


def wait(predicate: Any) -> None:
    deadline = time.monotonic() + 15
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_each_route_reaches_its_own_function_with_its_route_key() -> None:
    join, default = Invoker(), Invoker()
    routes = {"join": join, "$default": default}
    gateway = WebSocketGateway(no_http, default, routes=routes)
    with serving(gateway) as url, ws_client.connect(url) as client:
        client.send(JOIN)
        client.send("not json")
        wait(lambda: join.events and default.events)
    assert [e["requestContext"]["routeKey"] for e in join.events] == ["join"]
    # No $connect/$disconnect route: API Gateway connects without an integration.
    assert [(e["requestContext"]["routeKey"], e["body"]) for e in default.events] == [
        ("$default", "not json")
    ]
    assert aws_websocket.parse(join.events[0]).body == JOIN


def test_a_refusing_connect_authorizer_keeps_the_function_from_running() -> None:
    invoker = Invoker()

    async def authorize(headers: Any, query: Any, connection_id: str) -> Any:
        return (200, {"principalId": "me"}) if query.get("token") == ["ok"] else (401, None)

    gateway = WebSocketGateway(no_http, invoker, authorize=authorize)
    with serving(gateway) as url:
        with pytest.raises(InvalidStatus) as refused:
            ws_client.connect(url)
        assert refused.value.response.status_code == 401
        assert invoker.events == []
        with ws_client.connect(url + "?token=ok"):
            wait(lambda: invoker.events)
    connect = invoker.events[0]["requestContext"]
    assert (connect["routeKey"], connect["authorizer"]) == ("$connect", {"principalId": "me"})
