"""Fixtures for the WebSocket tests: the sample events, a registry on memory, and a
management API that records what a function posts (moto's and a 410 stub's are in
test_broadcast.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from faasgi import websockets
from faasgi.state import MemoryStore
from tests.conftest import EVENTS

CONNECT = EVENTS / "aws-powertools-lambda-python" / "apiGatewayWebSocketApiConnect.json"
MESSAGE = EVENTS / "aws-powertools-lambda-python" / "apiGatewayWebSocketApiMessage.json"
DISCONNECT = EVENTS / "aws-powertools-lambda-python" / "apiGatewayWebSocketApiDisconnect.json"
GO_MESSAGE = EVENTS / "aws-lambda-go" / "apigw-websocket-request-send-message.json"
GO_DISCONNECT = EVENTS / "aws-lambda-go" / "apigw-websocket-request-disconnect.json"


def sample(path: Any, **context: Any) -> dict[str, Any]:
    """A sample event, with requestContext fields replaced (one connection's events share
    a connectionId; the samples come from different connections)."""
    event: dict[str, Any] = json.loads(path.read_text())
    event["requestContext"].update(context)
    return event


class RecordingClient:
    """The two calls of boto3's apigatewaymanagementapi client faasgi makes, recorded."""

    def __init__(self, endpoint: str, log: list[tuple[str, str, str, bytes]], gone: set[str]):
        self.endpoint = endpoint
        self.log = log
        self.gone = gone

    def _check(self, connection_id: str) -> None:
        if connection_id in self.gone:
            error = Exception("GoneException")
            error.response = {  # type: ignore[attr-defined]
                "Error": {"Code": "GoneException"},
                "ResponseMetadata": {"HTTPStatusCode": 410},
            }
            raise error

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:
        self._check(ConnectionId)
        self.log.append(("post", self.endpoint, ConnectionId, Data))

    def delete_connection(self, ConnectionId: str) -> None:
        self._check(ConnectionId)
        self.log.append(("delete", self.endpoint, ConnectionId, b""))


class Recorder:
    def __init__(self) -> None:
        self.log: list[tuple[str, str, str, bytes]] = []
        self.gone: set[str] = set()
        self.management = websockets.ManagementAPI(
            lambda endpoint: RecordingClient(endpoint, self.log, self.gone)
        )

    def posted(self, connection_id: str) -> list[bytes]:
        return [data for kind, _, cid, data in self.log if kind == "post" and cid == connection_id]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """faasgi.websockets on a MemoryStore, posting into a Recorder."""
    monkeypatch.delenv(websockets.ENDPOINT_VARIABLE, raising=False)
    recorder = Recorder()
    store = MemoryStore()
    previous = websockets._hub
    websockets.configure(store, management=recorder.management)
    yield recorder
    websockets._hub = previous
