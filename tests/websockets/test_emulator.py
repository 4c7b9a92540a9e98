"""`faasgi serve` as an API Gateway WebSocket API: a real WebSocket client (the
`websockets` library) connects over loopback, its messages run on the instance pool
(cold, then warm, and on a second instance when the first is busy), broadcasts from one
connection reach the others, and the management API answers as API Gateway's does
(boto3's apigatewaymanagementapi client is the oracle of the wire format)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasgi.testing.emulator import Emulator

ws_client = pytest.importorskip("websockets.sync.client")
from websockets.exceptions import ConnectionClosed  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(
        "tests.websockets.chat_app:handler", "--max-instances", "3", cwd=str(ROOT)
    ) as running:
        yield running


def ws_url(emulator: Emulator, path: str = "/ws") -> str:
    return emulator.url.replace("http://", "ws://") + path


def test_messages_run_on_instances_and_broadcasts_reach_the_room(emulator: Emulator) -> None:
    with (
        ws_client.connect(ws_url(emulator, "/ws?room=blue")) as alice,
        ws_client.connect(ws_url(emulator, "/?room=blue")) as bob,
    ):
        alice.send("join")
        assert alice.recv(timeout=30) == "joined blue"
        bob.send("join")
        assert bob.recv(timeout=30) == "joined blue"
        alice.send("hello from alice")
        assert alice.recv(timeout=30) == "hello from alice"
        assert bob.recv(timeout=30) == "hello from alice"
        alice.send("pid")
        pid = int(alice.recv(timeout=30))
        assert pid in emulator.instance_pids().values() and pid != os.getpid()
    assert emulator.wait_for(r"WS \$disconnect \S+ 200", 30)


def test_a_busy_instance_makes_the_next_message_start_another(emulator: Emulator) -> None:
    answers: list[str] = []

    def slow(path: str) -> None:
        with ws_client.connect(ws_url(emulator, path)) as client:
            client.send("slow")
            answers.append(client.recv(timeout=60))

    threads = [threading.Thread(target=slow, args=(p,)) for p in ("/ws", "/ws")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    pids = {answer.split()[1] for answer in answers}
    assert len(answers) == 2 and len(pids) == 2  # two invocations at once: two instances


def test_management_api_speaks_api_gateways_wire_format(emulator: Emulator) -> None:
    import boto3

    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=emulator.url + "/local",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with ws_client.connect(ws_url(emulator), user_agent_header="faasgi-test") as carol:
        carol.send("id")
        connection_id = carol.recv(timeout=30)
        client.post_to_connection(ConnectionId=connection_id, Data=b"from outside")
        assert carol.recv(timeout=30) == "from outside"
        info = client.get_connection(ConnectionId=connection_id)
        assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "faasgi-test"}
        assert info["ConnectedAt"] <= info["LastActiveAt"]
        with pytest.raises(client.exceptions.PayloadTooLargeException):
            client.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
        client.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            carol.recv(timeout=30)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=connection_id, Data=b"too late")


def test_binary_frames_close_the_connection_with_1003(emulator: Emulator) -> None:
    with ws_client.connect(ws_url(emulator)) as client:
        client.send(b"\x00\x01")
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
