"""What WebSockets on FaaS cost: one message invocation through faasgi's ASGI mapping,
and a broadcast's posting rate.

    python bench/bench_websockets.py [--invocations 2000] [--connections 1000]

1. A message event (Powertools' sample) through `serverless(FastAPI echo endpoint)`, with
   the registry on a MemoryStore and a management client that answers from memory: the
   time faasgi and FastAPI spend per message invocation, network taken out (a registry
   read and a post are each one HTTP round trip on the platform).
2. `broadcast` to N connections registered in memory, posting through boto3's real
   apigatewaymanagementapi client to a stub @connections server on 127.0.0.1 (each post
   a real HTTP request, 16 in flight): posts per second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fastapi import FastAPI, WebSocket

from faasgi import serverless, websockets
from faasgi.state import MemoryStore
from faasgi.state.connections import ConnectionRecord, ConnectionRegistry

EVENTS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "events"
SAMPLES = EVENTS / "aws-powertools-lambda-python"


class _Client:
    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:
        pass


def echo_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            await websocket.send_text(await websocket.receive_text())

    return app


def per_invocation(invocations: int) -> list[float]:
    websockets.configure(MemoryStore(), management=websockets.ManagementAPI(lambda _: _Client()))
    handler = serverless(echo_app())
    connect = json.loads((SAMPLES / "apiGatewayWebSocketApiConnect.json").read_text())
    message = json.loads((SAMPLES / "apiGatewayWebSocketApiMessage.json").read_text())
    message["requestContext"]["connectionId"] = connect["requestContext"]["connectionId"]
    # Connected now: the sample's 2024 connection is past API Gateway's 2 hours, so its
    # registry record would expire at once.
    connect["requestContext"]["connectedAt"] = int(time.time() * 1000)
    assert handler(connect, None)["statusCode"] == 200
    for _ in range(50):  # warm up
        handler(message, None)
    times = []
    for _ in range(invocations):
        started = time.perf_counter()
        handler(message, None)
        times.append((time.perf_counter() - started) * 1000)
    handler.shutdown()
    return times


class _Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def broadcast_rate(connections: int) -> tuple[float, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/prod"
    registry = ConnectionRegistry(MemoryStore())
    for n in range(connections):
        registry.register(ConnectionRecord(f"c{n}", endpoint, "/ws"))
        registry.join(f"c{n}", "everyone")
    hub = websockets.Hub(registry)
    hub.broadcast("everyone", "warm-up")
    started = time.perf_counter()
    result = hub.broadcast("everyone", "hello")
    elapsed = time.perf_counter() - started
    server.shutdown()
    return result.sent / elapsed, result.sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=1000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # MemoryStore warns that it serves a function
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.pop(websockets.ENDPOINT_VARIABLE, None)
    times = per_invocation(args.invocations)
    rate, sent = broadcast_rate(args.connections)
    print("| measure | value |")
    print("|---|---|")
    print(f"| message invocation, median (ms) | {statistics.median(times):.3f} |")
    print(f"| message invocation, p90 (ms) | {statistics.quantiles(times, n=10)[-1]:.3f} |")
    print(f"| broadcast to {sent} connections (posts/s, loopback) | {rate:,.0f} |")


if __name__ == "__main__":
    main()
