"""Speed of the local emulator: hello world through `faasgi serve` with 2 warm instances.

Reports requests per second and p50/p99 latency under load (a bounded number of
keep-alive connections from a small asyncio HTTP/1.1 client, or `wrk` when installed),
the latency of one request at a time, and what the emulator adds over calling the
handler in-process (the same event, the same context, no HTTP, no process hop).

    python bench/bench_emulator.py                  # 10 s of load, 16 connections
    python bench/bench_emulator.py --seconds 5 --connections 32
    python bench/bench_emulator.py --wrk            # also run wrk if it is installed

The client shares the machine's cores with the emulator and its instances, so on a
2-core machine the numbers are a floor, not the emulator's ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from faasgi.contexts import context_for  # noqa: E402
from faasgi.events import Stamp, builder  # noqa: E402
from faasgi.testing import FaasClient  # noqa: E402
from faasgi.testing.emulator import Emulator  # noqa: E402

_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


# -- the load generator -----------------------------------------------------------------


async def _connection(
    host: str, port: int, path: str, until: float, latencies: list[float], instances: set[str]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            found = _LENGTH.search(head)
            if not head.startswith(b"HTTP/1.1 200") or found is None:
                raise RuntimeError(f"unexpected answer: {head[:200]!r}")
            await reader.readexactly(int(found.group(1)))
            latencies.append(time.perf_counter() - started)
            instance = re.search(rb"x-faasgi-instance: (\S+)", head)
            if instance:
                instances.add(instance.group(1).decode())
    finally:
        writer.close()


async def load(url: str, connections: int, seconds: float) -> tuple[list[float], set[str]]:
    """Latencies (s) of every request `connections` keep-alive clients made in `seconds`."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    latencies: list[float] = []
    instances: set[str] = set()
    until = time.perf_counter() + seconds
    await asyncio.gather(
        *(
            _connection(host, int(port), "/", until, latencies, instances)
            for _ in range(connections)
        )
    )
    return latencies, instances


def summary(latencies: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "rps": len(ordered) / seconds,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def run_wrk(url: str, connections: int, seconds: float) -> dict[str, Any] | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    result = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", url + "/"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(name: str) -> float:
        value, unit = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "p50_ms": percentile("50"), "p99_ms": percentile("99"), "raw": out}


# -- the same invocation in-process ---------------------------------------------------------


def in_process_ms(samples: int = 20000) -> float:
    """Median ms of one warm invocation of the hello handler, called directly."""
    import hello

    handler = hello.handler
    _, build = builder("aws-http")
    request = FaasClient(None, base_url="http://127.0.0.1:3000").build_request("GET", "/")
    event = build(request, Stamp())
    times = []
    for _ in range(samples):
        context = context_for("aws-http")
        started = time.perf_counter()
        handler(json.loads(json.dumps(event)), context)  # the runtime parses the event too
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


# -- the run --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--wrk", action="store_true", help="also measure with wrk if installed")
    args = parser.parse_args()

    direct_ms = in_process_ms()
    options = ["--no-dynamodb", "--max-instances", str(args.instances), "--keep-alive", "600"]
    with Emulator("hello:handler", *options, cwd=str(HERE)) as emulator:
        url = emulator.url
        # Warm every instance: a burst that keeps them all busy.
        asyncio.run(load(url, args.instances * 4, 1.0))
        one, _ = asyncio.run(load(url, 1, min(3.0, args.seconds)))
        sequential = summary(one, min(3.0, args.seconds))
        loaded_latencies, instances = asyncio.run(load(url, args.connections, args.seconds))
        loaded = summary(loaded_latencies, args.seconds)
        wrk = run_wrk(url, args.connections, args.seconds) if args.wrk else None
        cold_starts = emulator.count(r": cold start, pid")

    print(f"faasgi serve, hello world, {args.instances} warm instances ({cold_starts} cold starts)")
    print(f"  in-process handler call      p50 {direct_ms:7.3f} ms")
    print(
        f"  one request at a time        p50 {sequential['p50_ms']:7.3f} ms   "
        f"p99 {sequential['p99_ms']:7.3f} ms   {sequential['rps']:7.0f} req/s"
    )
    overhead = sequential["p50_ms"] - direct_ms
    print(f"  emulator overhead            p50 {overhead:7.3f} ms per request")
    print(
        f"  {args.connections} connections (python)     p50 {loaded['p50_ms']:7.3f} ms   "
        f"p99 {loaded['p99_ms']:7.3f} ms   {loaded['rps']:7.0f} req/s   "
        f"on {len(instances)} instances"
    )
    if wrk is not None:
        print(
            f"  {args.connections} connections (wrk)        p50 {wrk['p50_ms']:7.3f} ms   "
            f"p99 {wrk['p99_ms']:7.3f} ms   {wrk['rps']:7.0f} req/s"
        )
    elif args.wrk:
        print("  wrk: not installed (apt-get install wrk)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
