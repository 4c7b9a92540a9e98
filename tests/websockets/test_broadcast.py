"""`faasgi.websockets` against real components: the registry on DynamoDB (moto), posts
through boto3's apigatewaymanagementapi to moto (which records every byte), and a stub
management API on loopback that answers 410 Gone as API Gateway does for closed
connections (moto never does: it creates any connection id it is asked about)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from faasgi import websockets
from faasgi.state import DynamoDBStore, MemoryStore
from faasgi.state.attributes import table_item, to_attribute
from faasgi.state.connections import ConnectionRecord, ConnectionRegistry
from faasgi.websockets import Hub

moto = pytest.importorskip("moto")

ENDPOINT = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/prod"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(websockets.ENDPOINT_VARIABLE, raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with moto.mock_aws():
        yield


def register(registry: ConnectionRegistry, ids: list[str], endpoint: str, group: str) -> None:
    for connection_id in ids:
        registry.register(ConnectionRecord(connection_id, endpoint, "/ws"))
        registry.join(connection_id, group)


def register_in_bulk(store: DynamoDBStore, ids: list[str], endpoint: str, group: str) -> None:
    """What `register` and `join` write for each connection, in the registry's own layout,
    25 items per BatchWriteItem: 1,000 joins one by one take moto (in-process) 10-25 s."""
    expires_at = int(time.time()) + 7200
    items = []
    for connection_id in ids:
        record = ConnectionRecord(connection_id, endpoint, "/ws", groups=[group])
        for key, value in (
            (ConnectionRegistry.connection_key(connection_id), record.to_json()),
            (ConnectionRegistry.member_key(group, connection_id), {"endpoint": endpoint}),
        ):
            items.append(table_item(key.partition, key.sort, to_attribute(value), 1, expires_at))
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        store.client.batch_write_item(RequestItems={store.table: batch})


@pytest.mark.slow
def test_broadcast_to_1000_connections_on_moto_reaches_every_one(aws: None) -> None:
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    store = DynamoDBStore("faasgi-websockets")
    websockets.ensure_table()
    registry = ConnectionRegistry(store)
    # No "=" in these ids, unlike API Gateway's: moto keys its connections by the path
    # still percent-encoded ("abc%3D"), which would hide what it received.
    ids = [f"conn-{n:04d}" for n in range(1000)]
    register_in_bulk(store, ids, ENDPOINT, "everyone")
    assert registry.get("conn-0999") == ConnectionRecord(
        "conn-0999", ENDPOINT, "/ws", groups=["everyone"]
    )
    # Build moto's backend before the broadcast's threads race to build it (a moto
    # in-process artefact: two threads may each build one, and one's posts are lost).
    connections = apigatewaymanagementapi_backends["123456789012"]["us-east-1"].connections
    hub = Hub(registry)
    result = hub.broadcast("everyone", "hello, all")
    assert (result.sent, result.gone, result.failed) == (1000, [], {})
    assert {cid: connections[cid].data for cid in ids} == dict.fromkeys(ids, b"hello, all")


class GoneStub(BaseHTTPRequestHandler):
    """API Gateway's @connections answers: 200 for a live id, 410 GoneException for one
    that closed (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html)."""

    gone: set[str] = set()
    posts: list[tuple[str, bytes]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        connection_id = self.path.rsplit("/", 1)[-1]
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if connection_id in self.gone:
            payload = json.dumps({"message": None}).encode()
            self.send_response(410)
            self.send_header("x-amzn-ErrorType", "GoneException")
        else:
            with self.lock:
                self.posts.append((connection_id, body))
            payload = b""
            self.send_response(200)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), GoneStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    GoneStub.posts = []
    yield f"http://127.0.0.1:{server.server_address[1]}/prod"
    server.shutdown()
    server.server_close()


@pytest.mark.filterwarnings("ignore::faasgi.state.memory.MemoryStoreWarning")
def test_gone_connections_are_removed_and_never_fail_the_broadcast(
    stub: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    registry = ConnectionRegistry(MemoryStore())
    ids = [f"c{n:03d}" for n in range(60)]
    register(registry, ids, stub, "room")
    registry.join("c001", "other-room")
    GoneStub.gone = {"c001", "c017", "c042"}
    result = Hub(registry).broadcast("room", "news")
    assert sorted(result.gone) == ["c001", "c017", "c042"]
    assert result.sent == 57 and result.failed == {}
    assert sorted(cid for cid, _ in GoneStub.posts) == sorted(set(ids) - GoneStub.gone)
    assert {body for _, body in GoneStub.posts} == {b"news"}
    # Nothing names a gone connection any more: not its record, not any group.
    live = {m.connection_id for m in registry.members("room")}
    assert live == set(ids) - GoneStub.gone
    assert list(registry.members("other-room")) == []
    assert registry.get("c017") is None
    # The next broadcast does not even try them.
    GoneStub.posts = []
    assert Hub(registry).broadcast("room", "again").sent == 57


@pytest.mark.filterwarnings("ignore::faasgi.state.memory.MemoryStoreWarning")
def test_send_to_a_gone_connection_returns_false_and_removes_it(
    stub: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    registry = ConnectionRegistry(MemoryStore())
    register(registry, ["alive", "left"], stub, "room")
    GoneStub.gone = {"left"}
    hub = Hub(registry)
    assert hub.send("alive", b"\x00\x01") is True
    assert hub.send("left", "hello") is False
    assert registry.get("left") is None
    assert GoneStub.posts == [("alive", b"\x00\x01")]


def test_a_message_over_128_kb_is_refused_before_sending() -> None:
    with pytest.raises(websockets.MessageTooLarge, match="131072"):
        websockets.encode(b"x" * (128 * 1024 + 1))
    assert websockets.encode("é" * 10) == "é".encode() * 10


@pytest.mark.filterwarnings("ignore::faasgi.state.memory.MemoryStoreWarning")
def test_registry_items_expire_at_the_two_hour_limit() -> None:
    now = [1_700_000_000.0]
    store = MemoryStore(clock=lambda: now[0])
    registry = ConnectionRegistry(store, clock=lambda: now[0])
    opened_ms = int((now[0] - 3600) * 1000)  # connected an hour ago
    registry.register(ConnectionRecord("old", "https://x/prod", "/ws", connected_at=opened_ms))
    registry.join("old", "room")
    now[0] += 3599
    assert registry.get("old") is not None
    assert [m.connection_id for m in registry.members("room")] == ["old"]
    now[0] += 2  # past connectedAt + 2 h: API Gateway has closed it
    assert registry.get("old") is None
    assert list(registry.members("room")) == []
