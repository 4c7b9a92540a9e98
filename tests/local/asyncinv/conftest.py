"""Helpers for the async tests: the emulator's async log as JSON, the moto endpoint its
banner prints, and the messages a destination queue received."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import httpx

from faasgi.testing.emulator import Emulator

FAASGI = [sys.executable, "-c", "from faasgi.cli import run; run()"]
FINISHED = frozenset({"succeeded", "failed", "expired", "stopped"})


def events(emulator: Emulator) -> list[dict[str, Any]]:
    """`/_faasgi/async.json`, oldest event first."""
    answer = httpx.get(emulator.url + "/_faasgi/async.json", timeout=30)
    answer.raise_for_status()
    return list(reversed(answer.json()["events"]))


def wait_finished(emulator: Emulator, count: int, timeout: float = 90.0) -> list[dict[str, Any]]:
    """The async events once `count` of them have finished (polling, with a deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        found = events(emulator)
        if sum(1 for e in found if e["state"] in FINISHED) >= count:
            return found
        assert time.monotonic() < deadline, f"not finished in time: {found}"
        time.sleep(0.1)


def aws_endpoint(emulator: Emulator) -> str:
    return emulator.wait_for(r"^  AWS\s+(http://127\.0\.0\.1:\d+) \(moto").group(1)


def sqs(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def messages(endpoint: str, queue: str, count: int, timeout: float = 30.0) -> list[Any]:
    """`count` messages from the queue (their bodies parsed as JSON), with attributes."""
    client = sqs(endpoint)
    url = client.get_queue_url(QueueName=queue)["QueueUrl"]
    received: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(received) < count:
        assert time.monotonic() < deadline, f"{queue}: only {len(received)} of {count} messages"
        answer = client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=1
        )
        received.extend(answer.get("Messages", []))
    return received


def trigger(emulator: Emulator, name: str, *options: str) -> subprocess.CompletedProcess[str]:
    port = emulator.url.rsplit(":", 1)[1]
    return subprocess.run(
        [*FAASGI, "trigger", name, "--port", port, *options],
        capture_output=True,
        text=True,
        timeout=60,
    )


def body(message: Any) -> Any:
    return json.loads(message["Body"])


def started_at(attempt: dict[str, Any]) -> datetime:
    """When an attempt of `/_faasgi/async.json` started (its ISO time, "Z" for UTC)."""
    return datetime.fromisoformat(attempt["started"].replace("Z", "+00:00"))
