"""A failed init is retried on the next invocation; each failed attempt must release what it
opened then and there (issue 10: 50 failing calls took a process from 6 to 48 open file
descriptors and logged 50 "Task was destroyed but it is pending" until a garbage collection).
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

import pytest

from faasgi import serverless
from faasgi.errors import AppNotReady

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")

EVENT = {
    "version": "2.0",
    "rawPath": "/",
    "rawQueryString": "",
    "headers": {"host": "example.com"},
    "requestContext": {"http": {"method": "GET", "path": "/"}, "stage": "$default"},
    "isBase64Encoded": False,
}


async def app_whose_startup_fails(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})
        await receive()  # like most apps' lifespan tasks: still waiting when startup failed


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_failed_lifespan_startup_leaks_no_descriptor_and_no_task(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = serverless(app_whose_startup_fails, lazy=True)
    with pytest.raises(AppNotReady, match="no database"):
        handler(EVENT, None)  # the first attempt, so that lazy imports are done
    before = open_fds()
    enabled = gc.isenabled()
    gc.disable()  # cleanup must not depend on the garbage collector
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for _ in range(100):
                with pytest.raises(AppNotReady, match="no database"):
                    handler(EVENT, None)
            after = open_fds()
    finally:
        if enabled:
            gc.enable()
    assert after - before <= 1
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]


def test_failed_init_hook_stops_the_lifespan_it_started() -> None:
    events: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            events.append("shutdown")
            await send({"type": "lifespan.shutdown.complete"})

    handler = serverless(app, lazy=True)

    @handler.on_init
    def fail() -> None:
        raise RuntimeError("no config")

    with pytest.raises(AppNotReady, match="no config"):
        handler(EVENT, None)
    before = open_fds()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(100):
            with pytest.raises(AppNotReady, match="no config"):
                handler(EVENT, None)
        after = open_fds()
    finally:
        if enabled:
            gc.enable()
    assert after - before <= 1
    assert events == ["shutdown"] * 101  # each lifespan that started was stopped
