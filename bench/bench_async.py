"""Speed of the emulator's async side: events sent to `faasgi serve` through Lambda's Invoke
API with `X-Amz-Invocation-Type: Event`, to bench/hello.py's function (a scheduled event
with no route is answered as a keep-warm ping, without calling the app).

Reports the 202's latency (one event at a time), how long an event waits between its
acceptance and its start when an instance is free (the queue's own overhead), and events per
second when a burst of them queues at `--max-instances`.

    python bench/bench_async.py                      # 400 events, 2 instances
    python bench/bench_async.py --events 500 --max-instances 4

The client shares the machine's cores with the emulator and its instances.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from faasgi.testing.emulator import Emulator  # noqa: E402

EVENT = {
    "version": "0",
    "id": "bench",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/bench"],
    "detail": {},
}


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def settled(client: httpx.Client, timeout: float = 600.0) -> list[dict[str, Any]]:
    """The events the emulator keeps (newest first), once none is waiting or running."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get("/_faasgi/async.json").json()
        if answer["pending"] == 0:
            return list(answer["events"])
        if time.monotonic() > deadline:
            raise RuntimeError(f"{answer['pending']} events still pending")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events",
        type=int,
        default=400,
        help="events in the burst (at most 500: the log keeps 500)",
    )
    parser.add_argument("--max-instances", type=int, default=2)
    args = parser.parse_args()
    if not 1 <= args.events <= 500:
        parser.error("--events is 1-500")
    body = json.dumps(EVENT).encode()
    headers = {"X-Amz-Invocation-Type": "Event"}
    path = "/2015-03-31/functions/hello/invocations"
    emulator = Emulator(
        "hello:handler",
        "--no-dynamodb",
        "--max-instances",
        str(args.max_instances),
        cwd=str(HERE),
    )
    emulator.start()
    try:
        with httpx.Client(base_url=emulator.url, timeout=60) as client:
            # Warm the instances, then one event at a time.
            client.post(path, content=body, headers=headers)
            settled(client)
            accept, waits = [], []
            for _ in range(min(100, args.events)):
                started = time.perf_counter()
                client.post(path, content=body, headers=headers).raise_for_status()
                accept.append(time.perf_counter() - started)
                event = settled(client)[0]
                accepted_at = _time(event["acceptedTime"])
                waits.append(_time(event["attempts"][0]["started"]) - accepted_at)
            # A burst: every event accepted at once, then run as instances free up.
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                list(
                    pool.map(
                        lambda _: client.post(path, content=body, headers=headers),
                        range(args.events),
                    )
                )
            accepted = time.perf_counter() - started
            done = settled(client)
            ends = [
                _time(a["started"]) + a["durationMs"] / 1000
                for e in done[: args.events]
                for a in e["attempts"]
            ]
            firsts = [_time(e["acceptedTime"]) for e in done[: args.events]]
            span = max(ends) - min(firsts)
    finally:
        emulator.stop()
    print(f"## Async invocations ({args.max_instances} instances, hello world)\n")
    print("| | p50 | p99 | rate |")
    print("|---|---:|---:|---:|")
    print(
        f"| 202 Accepted, one event at a time | {percentile(accept, 0.5) * 1000:.2f} ms "
        f"| {percentile(accept, 0.99) * 1000:.2f} ms | |"
    )
    print(
        f"| accepted -> running, instance free | {percentile(waits, 0.5) * 1000:.2f} ms "
        f"| {percentile(waits, 0.99) * 1000:.2f} ms | |"
    )
    print(f"| burst of {args.events}: accepted | | | {args.events / accepted:,.0f} events/s |")
    print(f"| burst of {args.events}: run | | | {args.events / span:,.0f} events/s |")


if __name__ == "__main__":
    main()
