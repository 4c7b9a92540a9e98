"""What a server-side session costs per request, against the same DynamoDB calls made by
hand with boto3's low-level client (target: at most 1.2x).

    python bench/bench_store.py [--requests 500]

Both sides talk to moto's DynamoDB server on 127.0.0.1 over HTTP, with one client each,
and do the same work per request: a consistent GetItem of the session, then (for a request
that changed the session) a conditional UpdateItem that replaces the data, slides the
expiry and counts the version up. The two sides alternate request by request, each going
first half of the time, so drift in the machine hits both alike. A last row times faasgi's
own work with the network taken out (a client that answers from memory): the overhead the
ratio hides.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from faasgi.local.dynamodb import LocalDynamoDB
from faasgi.state import DynamoDBStore, Sessions, ensure_table
from faasgi.state.dynamodb import dynamodb_client

TABLE = "bench-sessions"
SECRET = "benchmark secret, long enough to pass"
MAX_AGE = 14 * 24 * 3600
DATA = {
    "user": "alice",
    "roles": ["editor", "viewer"],
    "cart": [{"sku": f"item-{n}", "qty": n, "price": 9.95} for n in range(5)],
    "theme": "dark",
}


def raw_item(data: dict[str, Any]) -> dict[str, Any]:
    """DATA as attribute values, written out by hand as a boto3 user would."""
    cart = [
        {"M": {"sku": {"S": e["sku"]}, "qty": {"N": str(e["qty"])}, "price": {"N": "9.95"}}}
        for e in data["cart"]
    ]
    return {
        "M": {
            "user": {"S": data["user"]},
            "roles": {"L": [{"S": role} for role in data["roles"]]},
            "cart": {"L": cart},
            "theme": {"S": data["theme"]},
            "visits": {"N": str(data["visits"])},
        }
    }


def raw_request(client: Any, key: dict[str, Any], change: bool) -> None:
    """One request's session work with boto3 alone."""
    found = client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
    if not change:
        return
    version = found["version"]["N"]
    visits = int(found["value"]["M"]["visits"]["N"]) + 1
    client.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET #value = :value, #expires_at = :expires_at ADD #version :one",
        ConditionExpression="#version = :expected",
        ExpressionAttributeNames={
            "#value": "value",
            "#expires_at": "expires_at",
            "#version": "version",
        },
        ExpressionAttributeValues={
            ":value": raw_item({**DATA, "visits": visits}),
            ":expires_at": {"N": str(int(time.time()) + MAX_AGE)},
            ":one": {"N": "1"},
            ":expected": {"N": version},
        },
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )


def faasgi_request(sessions: Sessions, cookie: str, change: bool) -> None:
    """One request's session work through faasgi: what the middleware does around a view."""
    session = sessions.open(cookie)
    if change:
        session["visits"] += 1
    sessions.save(session)


def measure(runs: dict[str, Callable[[], None]], requests: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(requests // 10):  # warm-up: connections, caches
        for run in runs.values():
            run()
    order = list(runs.items())
    for _ in range(requests):
        order.reverse()  # each side goes first half of the time: no order effect
        for name, run in order:
            started = time.perf_counter()
            run()
            timings[name].append((time.perf_counter() - started) * 1e6)
    return timings


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


class AnsweringClient:
    """A DynamoDB client that answers from memory, to time faasgi without the network."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item
        self.meta = type("Meta", (), {"endpoint_url": "memory"})()

    def get_item(self, **request: Any) -> dict[str, Any]:
        return {"Item": self.item}

    def update_item(self, **request: Any) -> dict[str, Any]:
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    requests = parser.parse_args().requests
    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)

    with LocalDynamoDB() as endpoint_url:
        store = DynamoDBStore(TABLE, endpoint_url=endpoint_url)
        ensure_table(store)
        sessions = Sessions(store, secret=SECRET)
        session = sessions.open(None)
        session.update({**DATA, "visits": 0})
        sessions.save(session)
        cookie = "theme=dark; session=" + sessions.sign(str(session.id))
        raw_client = dynamodb_client(endpoint_url=endpoint_url)
        # The raw side works on its own copy of the session, so the two never conflict.
        raw_key = {"pk": {"S": "raw#session"}, "sk": {"S": "session"}}
        raw_client.put_item(
            TableName=TABLE,
            Item={**raw_key, "version": {"N": "1"}, "value": raw_item({**DATA, "visits": 0})},
        )
        rows = []
        for change in (True, False):
            timings = measure(
                {
                    "boto3": lambda change=change: raw_request(raw_client, raw_key, change),
                    "faasgi": lambda change=change: faasgi_request(sessions, cookie, change),
                },
                requests,
            )
            label = "load + save (changed)" if change else "load only (unchanged)"
            rows.append((label, timings["boto3"], timings["faasgi"]))

    offline = Sessions(DynamoDBStore(TABLE, client=AnsweringClient(_offline_item())), secret=SECRET)
    offline_cookie = "session=" + offline.sign("x" * 43)
    overhead = measure({"faasgi": lambda: faasgi_request(offline, offline_cookie, True)}, requests)

    print(f"session work per request, {requests} requests each, moto server on 127.0.0.1\n")
    header = f"{'request':<24}{'boto3 median':>14}{'p99':>10}{'faasgi median':>15}{'p99':>10}"
    print(header + f"{'ratio':>8}")
    for label, raw, ours in rows:
        ratio = statistics.median(ours) / statistics.median(raw)
        print(
            f"{label:<24}{statistics.median(raw):>12.0f}us{p99(raw):>8.0f}us"
            f"{statistics.median(ours):>13.0f}us{p99(ours):>8.0f}us{ratio:>7.2f}x"
        )
    own = overhead["faasgi"]
    print(
        f"\nfaasgi's own work for load + save, no network: median "
        f"{statistics.median(own):.0f}us, p99 {p99(own):.0f}us"
    )


def _offline_item() -> dict[str, Any]:
    return {
        "pk": {"S": "session#" + "x" * 43},
        "sk": {"S": "session"},
        "version": {"N": "7"},
        "expires_at": {"N": str(int(time.time()) + MAX_AGE)},
        "value": raw_item({**DATA, "visits": 0}),
    }


if __name__ == "__main__":
    main()
