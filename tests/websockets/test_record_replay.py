"""`faasgi serve --record DIR` records WebSocket traffic too ($connect, each message with
its routeKey, $disconnect, with the function's answers), and `faasgi replay` plays it back
against the handler: the same code gives the same answers; a changed `$connect` answer
is caught. The handler's posts go to replay's own management API on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faasgi.testing.emulator import Emulator

ws_client = pytest.importorskip("websockets.sync.client")
pytest.importorskip("fastapi")
pytestmark = pytest.mark.slow

APP = """
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from faasgi import serverless, websockets

app = FastAPI()


@app.websocket("/ws")
async def echo(websocket: WebSocket) -> None:
    if websockets.connecting() and VERSION == 2:
        await websocket.close(code=1008)
        return
    await websocket.accept()
    try:
        while True:
            await websocket.send_text("echo " + await websocket.receive_text())
    except WebSocketDisconnect:
        pass


handler = serverless(app)
"""


def replay(folder: Path, record: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from faasgi.cli import run; run()", "replay"]
    return subprocess.run(
        [*command, str(record), "--against", "ws_app:handler"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), *sys.path])},
    )


def test_websocket_traffic_is_recorded_and_replays(tmp_path: Path) -> None:
    (tmp_path / "ws_app.py").write_text(APP.replace("VERSION", "1"))
    record = tmp_path / "record"
    environment = {n: v for n, v in os.environ.items() if not n.startswith("FAASGI_")}
    environment["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *sys.path])
    with Emulator(
        "ws_app:handler", "--record", str(record), cwd=str(tmp_path), env=environment
    ) as emulator:
        with ws_client.connect(emulator.url.replace("http://", "ws://") + "/ws") as client:
            client.send(json.dumps({"action": "hello"}))
            assert client.recv(timeout=60) == 'echo {"action": "hello"}'
            client.send("plain")
            assert client.recv(timeout=60) == "echo plain"
        emulator.wait_for(r"WS \$disconnect \S+ 200", 60)
        deadline = time.monotonic() + 30
        while len(list(record.glob("*.json"))) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    files = sorted(record.glob("*.json"))
    recorded = [json.loads(path.read_text()) for path in files]
    keys = [r["event"]["requestContext"]["routeKey"] for r in recorded]
    assert keys == ["$connect", "hello", "$default", "$disconnect"]
    assert all(r["answer"]["statusCode"] == 200 for r in recorded)

    same = replay(tmp_path, record)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "4 recorded answers, the same" in same.stdout

    (tmp_path / "ws_app.py").write_text(APP.replace("VERSION", "2"))
    changed = replay(tmp_path, record)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "answer 1 of 4 differs" in changed.stdout
    assert "WebSocket $connect" in changed.stdout
