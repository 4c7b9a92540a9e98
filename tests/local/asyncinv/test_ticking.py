"""Schedules fire on their own, in-process: a one-second rate (shorter than any platform
allows, so the test need not wait a minute) sends one event per firing, each carrying the
time it was due, not the time it ran; a disabled schedule does not fire."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from faasgi.local.asyncinvoke import platform_policy
from faasgi.local.asyncserve import AsyncSide
from faasgi.local.pool import Outcome
from faasgi.local.schedules import Rate, Schedule


class Pool:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def invoke(self, request_id: str, event: bytes, patience: float | None = None) -> Outcome:
        self.events.append(json.loads(event))
        return Outcome("i-0001", False, None, 1.0, 0.0, b"{}")


async def app(scope: Any, receive: Any, send: Any) -> None:  # the gateway, unused here
    raise AssertionError("not reached")


def test_a_schedule_fires_each_period_with_its_due_time() -> None:
    created = datetime.now(timezone.utc).replace(microsecond=0)
    ticking = Schedule("tick", "rule", "every second", Rate(1), function="job", created=created)
    paused = Schedule(
        "paused", "rule", "every second", Rate(1), function="job", created=created, enabled=False
    )
    side = AsyncSide({"job": ("aws", platform_policy("aws"))}, [ticking, paused], "us-east-1")
    pool = Pool()

    async def scenario() -> None:
        await side.run(pool, app)
        deadline = asyncio.get_running_loop().time() + 30
        while len(pool.events) < 3:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        await side.close()

    asyncio.run(scenario())
    times = [datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in pool.events]
    # Each firing is due a whole number of periods after the schedule was created (a loaded
    # machine may skip one, as a late timer would), never at the moment it happened to run.
    offsets = [(t - created) / timedelta(seconds=1) for t in times]
    assert all(o == int(o) and o >= 1 for o in offsets)
    assert offsets == sorted(set(offsets))
    assert {e["resources"][0].rsplit("/", 1)[1] for e in pool.events} == {"tick"}
