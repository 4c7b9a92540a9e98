"""The instance pool in-process, driving real instance processes: what is hard to reach
over HTTP (throttling, a failed cold start, reload's retiring, closing)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from faasgi.events import Stamp, builder
from faasgi.local.pool import Outcome, Pool, PoolSettings
from faasgi.testing import FaasClient
from tests.local.conftest import ROOT, alive, app

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # where the instances import tests.local.apps from


def event(path: str = "/") -> bytes:
    request = FaasClient(None).build_request("GET", path)
    _, build = builder("aws-http")
    return json.dumps(build(request, Stamp())).encode()


def body(outcome: Outcome) -> Any:
    return json.loads(outcome.payload)["body"]


def with_pool(settings: PoolSettings, work: Callable[[Pool], Awaitable[None]]) -> None:
    async def run() -> None:
        pool = Pool(settings)
        await pool.start()
        try:
            await work(pool)
        finally:
            await pool.close()

    asyncio.run(run())


def test_a_request_that_waits_longer_than_the_queue_allows_is_throttled() -> None:
    settings = PoolSettings(app("slow"), max_instances=1, queue_timeout=0.3)

    async def work(pool: Pool) -> None:
        busy = asyncio.create_task(pool.invoke("r1", event("/?seconds=1.5")))
        await asyncio.sleep(0)  # the first takes the only slot
        started = time.monotonic()
        throttled = await pool.invoke("r2", event())
        assert throttled.failure == "throttled"
        assert throttled.instance == ""
        assert time.monotonic() - started < 1.2
        assert (await busy).failure is None

    with_pool(settings, work)


def test_a_cold_start_that_fails_fails_its_request_and_is_not_reused() -> None:
    settings = PoolSettings(app("broken"))

    async def work(pool: Pool) -> None:
        first = await pool.invoke("r1", event())
        second = await pool.invoke("r2", event())
        assert (first.failure, first.cold) == ("init", True)
        assert "ImportError: no module named 'flaskk'" in first.detail
        assert second.failure == "init"
        assert second.instance != first.instance
        assert pool.cold_starts == 2

    with_pool(settings, work)


def test_recycle_retires_a_busy_instance_after_its_invocation() -> None:
    settings = PoolSettings(app("slow"))

    async def work(pool: Pool) -> None:
        first = await pool.invoke("r1", event())
        running = asyncio.create_task(pool.invoke("r2", event("/?seconds=0.5")))
        await asyncio.sleep(0.1)
        assert pool.recycle() == 1
        during = await running
        after = await pool.invoke("r3", event())
        assert during.instance == first.instance and during.failure is None
        assert after.cold and after.instance != first.instance

    with_pool(settings, work)


def test_close_stops_every_instance_process() -> None:
    settings = PoolSettings(app("slow"), max_instances=3)
    pids: list[int] = []

    async def work(pool: Pool) -> None:
        answers = await asyncio.gather(
            *(pool.invoke(f"r{n}", event("/?seconds=0.5")) for n in range(3))
        )
        pids.extend(int(body(answer)) for answer in answers)
        assert len(set(pids)) == 3
        await pool.close()
        assert pool.instances == {}
        assert (await pool.invoke("late", event())).failure == "stopped"

    with_pool(settings, work)
    assert not [pid for pid in pids if alive(pid)]


def test_an_instance_stopped_twice_gets_one_sigterm_and_finishes_its_hooks(
    tmp_path: Path,
) -> None:
    log = tmp_path / "hooks.log"
    environment = {"HOOKS_LOG": str(log), "HOOKS_SHUTDOWN_SECONDS": "0.5"}
    settings = PoolSettings(app("hooks"), environment=environment)

    async def work(pool: Pool) -> None:
        await pool.invoke("r1", event())
        (instance,) = pool.instances.values()
        # The reaper stops it, then Ctrl-C closes the pool while the slow shutdown hook
        # runs: a second SIGTERM then would kill the process before the hook writes.

        async def close_later() -> None:
            await asyncio.sleep(0.2)
            await pool.close()

        await asyncio.gather(instance.stop(5), close_later())

    with_pool(settings, work)
    assert [line.split()[1] for line in log.read_text().splitlines()] == ["init", "shutdown"]


def test_waiting_requests_are_served_in_arrival_order() -> None:
    settings = PoolSettings(app("slow"), max_instances=1)
    finished: list[str] = []

    async def work(pool: Pool) -> None:
        await pool.invoke("warm-up", event())

        async def call(name: str) -> None:
            await pool.invoke(name, event("/?seconds=0.1"))
            finished.append(name)

        tasks = []
        for name in ("a", "b", "c", "d"):
            tasks.append(asyncio.create_task(call(name)))
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)

    with_pool(settings, work)
    assert finished == ["a", "b", "c", "d"]
