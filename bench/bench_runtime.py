"""faasgi's Lambda runtime against AWS's (awslambdaric), both driving the same handler
against the same local Runtime API server (faasgi.local.runtime_api), one process each:

- per-invocation time, /next to /response and back, for a plain function and for a faasgi
  handler (median of N sequential invocations after a warm-up);
- time to first byte of a 2 s, 100-chunk stream under faasgi.runtime with
  FAASGI_INVOKE_MODE=RESPONSE_STREAM, against the time the same answer takes buffered.

    python bench/bench_runtime.py                 # 2,000 invocations per runtime
    python bench/bench_runtime.py --invocations 200
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(SRC))

from faasgi.local.runtime_api import RuntimeAPIServer  # noqa: E402

FUNCTION_URL_EVENT = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/items/42",
    "rawQueryString": "",
    "headers": {"host": "abc.lambda-url.us-east-1.on.aws", "accept": "application/json"},
    "requestContext": {
        "domainName": "abc.lambda-url.us-east-1.on.aws",
        "http": {
            "method": "GET",
            "path": "/items/42",
            "protocol": "HTTP/1.1",
            "sourceIp": "1.2.3.4",
        },
        "requestId": "id",
        "stage": "$default",
        "timeEpoch": 1700000000000,
    },
    "isBase64Encoded": False,
}


def start(
    client: str, handler: str, **env: str
) -> tuple[RuntimeAPIServer, subprocess.Popen[bytes]]:
    server = RuntimeAPIServer(timeout=120).start()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FAASGI_"))}
    environment.update(
        AWS_LAMBDA_RUNTIME_API=server.address,
        _HANDLER=handler,
        PYTHONPATH=os.pathsep.join([str(HERE), str(SRC), *sys.path]),
        **env,
    )
    command = (
        [sys.executable, "-m", "faasgi.runtime"]
        if client == "faasgi"
        else [sys.executable, "-m", "awslambdaric", handler]
    )
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    return server, process


def stop(server: RuntimeAPIServer, process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()
    server.close()


def per_invocation(client: str, handler: str, event: Any, count: int) -> float:
    server, process = start(client, handler)
    try:
        for _ in range(max(20, count // 10)):  # warm-up, cold start included
            server.invoke(event, wait=120)
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            server.invoke(event, wait=120)
            timings.append((time.perf_counter() - started) * 1e6)
        return statistics.median(timings)
    finally:
        stop(server, process)


def stream_timings(mode: str) -> tuple[float, float]:
    """(seconds to the first body byte, seconds to the whole answer) for one stream."""
    server, process = start("faasgi", "runtime_apps.stream_handler", FAASGI_INVOKE_MODE=mode)
    try:
        server.invoke(FUNCTION_URL_EVENT, wait=120)  # warm
        started = time.monotonic()
        outcome = server.invoke(FUNCTION_URL_EVENT, wait=120)
        total = outcome.completed_at - started
        if outcome.streamed:
            first = outcome.chunks[1][0] - started  # chunk 0: the prelude and 8 NULs
        else:
            json.loads(outcome.body)
            first = total  # buffered: the first byte comes with the last
        return first, total
    finally:
        stop(server, process)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invocations", type=int, default=2000)
    options = parser.parse_args()
    print("### Per invocation through the Runtime API (median µs, server round trip included)\n")
    print("| handler | awslambdaric | faasgi.runtime | faasgi / awslambdaric |")
    print("|---|---:|---:|---:|")
    for label, handler, event in (
        ("plain function", "runtime_apps.plain", {"x": 1}),
        ("faasgi + Starlette, JSON", "runtime_apps.json_handler", FUNCTION_URL_EVENT),
    ):
        ric = per_invocation("awslambdaric", handler, event, options.invocations)
        ours = per_invocation("faasgi", handler, event, options.invocations)
        print(f"| {label} | {ric:.0f} | {ours:.0f} | {ours / ric:.2f}x |")
    print("\n### A 2 s, 100-chunk stream under faasgi.runtime\n")
    print("| mode | first body byte (s) | whole answer (s) | first byte / whole |")
    print("|---|---:|---:|---:|")
    for mode in ("RESPONSE_STREAM", "BUFFERED"):
        first, total = stream_timings(mode)
        print(f"| {mode} | {first:.3f} | {total:.3f} | {first / total:.1%} |")


if __name__ == "__main__":
    main()
