"""`faasgi serve --template` with the todo list's SAM template (adapters/aws-lambda/
template.yaml): its WebSocket API (a plain AWS::ApiGatewayV2::Api with $connect,
$disconnect and $default routes to TodoLiveFunction) is served on the API port. Two
WebSocket clients (two tabs) connect with a token the function gave; a write made
through the same function (invoked as an HTTP API would, through the Lambda Invoke API:
on the shared API port the Flask function answers those paths) reaches both of them.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from faasgi.testing import FaasClient
from faasgi.testing.emulator import Emulator

ws_client = pytest.importorskip("websockets.sync.client")
pytest.importorskip("samtranslator")  # the template extra (not in .ci/run's other Pythons)
pytest.importorskip("yaml")
pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]


def invoking(url: str) -> Any:
    """A handler that is TodoLiveFunction on the emulator, through its Invoke API."""

    def handler(event: Any, context: Any) -> Any:
        answer = httpx.post(
            f"{url}/2015-03-31/functions/TodoLiveFunction/invocations", json=event, timeout=120
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    return handler


def test_a_write_reaches_both_tabs_over_the_templates_websocket_api() -> None:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FAASGI_", "TODO_", "SESSION_"))
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), *sys.path])
    template = REPOSITORY / "adapters" / "aws-lambda" / "template.yaml"
    with Emulator(
        f"--template={template}", "--invoke-port", "0", cwd=str(REPOSITORY), env=environment
    ) as emulator:
        banner = emulator.output
        assert "websocket  LiveWebSocketApi" in banner, banner
        assert "$default -> TodoLiveFunction" in banner
        invoke_url = emulator.wait_for(r"invoke\s+(http://\S+)").group(1)
        tab = FaasClient(invoking(invoke_url), "aws-http")
        user = {"userName": "ws-" + uuid.uuid4().hex[:8], "password": "a long enough password"}
        assert tab.post("/api/register", json=user).status == 200
        assert tab.post("/api/login/account", json={**user, "type": "account"}).status == 200
        live = tab.get("/api/live")
        assert live.status == 200, live.text
        token = live.json()["token"]
        socket_url = emulator.url.replace("http://", "ws://") + f"/ws?token={token}"
        with ws_client.connect(socket_url) as first, ws_client.connect(socket_url) as second:
            # Both connections are registered once $connect has answered (the handshake).
            assert tab.post("/api/rule", json={"name": "Buy milk", "desc": ""}).status == 200
            for socket in (first, second):
                assert json.loads(socket.recv(timeout=60)) == {"type": "changed"}
        with pytest.raises(Exception, match="403"):
            ws_client.connect(emulator.url.replace("http://", "ws://") + "/ws?token=forged")
        assert emulator.count(r"WS \$connect \S+ 200") == 2


def test_a_serverless_websocket_api_routes_each_key_to_its_function() -> None:
    """Two functions behind one AWS::Serverless::WebSocketApi, a $connect authorizer:
    `shout` messages reach ShoutFunction, the rest ChatFunction's `$default` (with
    the authorizer's context remembered from `$connect`, on a --max-instances 1 pool);
    a post_to_connection during `$connect` gets GoneException."""
    project = Path(__file__).parent / "sam_routes"
    environment = {n: v for n, v in os.environ.items() if not n.startswith("FAASGI_")}
    with Emulator(
        "--template=template.yaml",
        "--invoke-port",
        "0",
        "--max-instances",
        "1",
        cwd=str(project),
        env=environment,
    ) as emulator:
        url = emulator.url.replace("http://", "ws://") + "/"
        for query in ("", "?token=wrong"):
            with pytest.raises(Exception, match="401"):
                ws_client.connect(url + query)
        deadline = time.monotonic() + 30
        while emulator.count(r"WS \$connect \S+ 401 authorizer") < 2:
            assert time.monotonic() < deadline, emulator.output
            time.sleep(0.05)
        assert emulator.count(r"WS \$connect \S+ 200") == 0  # ChatFunction never ran
        with ws_client.connect(url + "?token=letmein") as client:
            client.send(json.dumps({"action": "shout", "text": "hi"}))
            assert client.recv(timeout=60) == 'shout shout: {"ACTION": "SHOUT", "TEXT": "HI"}'
            client.send("hello")
            # The welcome posted during $connect never came: it got GoneException, as the
            # AWS Knowledge Center says (https://repost.aws/knowledge-center/410-gone-api-gateway).
            assert client.recv(timeout=60) == "chat $default ann (GoneException): hello"
            client.send(json.dumps({"action": "whisper"}))
            assert (
                client.recv(timeout=60)
                == 'chat $default ann (GoneException): {"action": "whisper"}'
            )
