"""Time to first byte against total time for a streamed answer: 100 chunks over 2 s,
through `faasgi serve` (an instance process, the emulator's frames, uvicorn) and through
FC's custom runtime server (`python -m faasgi.custom_runtime`), streamed and buffered.

    python bench/bench_streaming.py                 # 5 runs of each, 100 chunks, 2 s
    python bench/bench_streaming.py --runs 1 --chunks 10 --seconds 0.2

The goal: the first byte within 5 % of the total. Each run is one GET on a fresh
connection to a warm instance, read with a plain socket; times are from sending the
request to the first and to the last byte of the body.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from faasgi.testing.emulator import Emulator  # noqa: E402

STREAM = {"FAASGI_INVOKE_MODE": "RESPONSE_STREAM"}


def timed_get(port: int, path: str) -> tuple[float, float, int]:
    """(seconds to the first body byte, seconds to the last, body bytes incl. framing)."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        started = time.perf_counter()
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = b""
        first = None
        while True:
            data = connection.recv(65536)
            if not data:
                break
            received += data
            if first is None and b"\r\n\r\n" in received:
                head, _, body = received.partition(b"\r\n\r\n")
                if body:
                    first = time.perf_counter() - started
        last = time.perf_counter() - started
    head, _, body = received.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer: {head[:200]!r}")
    return (first if first is not None else last), last, len(body)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def emulated(stream: bool) -> Iterator[int]:
    options = ("--source", "function-url", "--no-dynamodb")
    emulator = Emulator("stream:handler", *options, cwd=str(HERE), env=STREAM if stream else {})
    emulator.start()
    try:
        yield int(emulator.url.rsplit(":", 1)[1])
    finally:
        emulator.stop()


@contextmanager
def custom_runtime(stream: bool) -> Iterator[int]:
    port = free_port()
    environment = {
        **os.environ,
        **(STREAM if stream else {}),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "faasgi.custom_runtime",
            "stream:handler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=HERE,
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        if "serving" not in process.stderr.readline():
            raise RuntimeError("the custom runtime did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(port: int, path: str, runs: int) -> tuple[float, float]:
    timed_get(port, path.replace("seconds=", "seconds=0&was="))  # warm the instance up
    firsts, lasts = [], []
    for _ in range(runs):
        first, last, _ = timed_get(port, path)
        firsts.append(first)
        lasts.append(last)
    return statistics.median(firsts), statistics.median(lasts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    path = f"/?chunks={args.chunks}&seconds={args.seconds}"
    print(f"{args.chunks} chunks over {args.seconds:g} s; median of {args.runs} runs\n")
    print("| through | answer | first byte | last byte | first / last |")
    print("|---|---|---:|---:|---:|")
    for name, server in (("faasgi serve", emulated), ("faasgi.custom_runtime", custom_runtime)):
        for stream in (True, False):
            with server(stream) as port:
                first, last = measure(port, path, args.runs)
            kind = "streamed" if stream else "buffered"
            print(
                f"| {name} | {kind} | {first * 1000:.1f} ms | {last * 1000:.1f} ms "
                f"| {first / last:.1%} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
