"""A FastAPI app run unchanged under faasgi.runtime: streaming, background tasks,
faasgi.after_response and a shutdown hook, each leaving a trace a test can read."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI
from fastapi.responses import StreamingResponse

import faasgi
from faasgi import serverless

app = FastAPI()


def note(name: str) -> None:
    """Write time.monotonic() (one clock for every process on the machine) to a file in
    RECORD_DIR; nothing when it is unset (the app imported by a test, as an oracle)."""
    folder = os.environ.get("RECORD_DIR")
    if folder:
        (Path(folder) / name).write_text(repr(time.monotonic()))


async def tokens(count: int, pause: float, fail_after: int | None = None) -> AsyncIterator[str]:
    for index in range(count):
        if fail_after is not None and index == fail_after:
            raise RuntimeError("the token feed broke")
        yield f"data: token {index}\n\n"
        await asyncio.sleep(pause)


@app.get("/stream")
async def stream(count: int = 5, pause: float = 0.2) -> StreamingResponse:
    response = StreamingResponse(tokens(count, pause), media_type="text/event-stream")
    response.set_cookie("seen", "yes")
    return response


@app.get("/broken-stream")
async def broken_stream() -> StreamingResponse:
    return StreamingResponse(tokens(5, 0.05, fail_after=2), media_type="text/event-stream")


@app.get("/background")
async def background(tasks: BackgroundTasks) -> dict[str, str]:
    async def later() -> None:
        await asyncio.sleep(0.3)
        note("background")

    tasks.add_task(later)
    faasgi.after_response(note, "after_response")
    return {"answer": "now"}


@app.get("/slow-background")
async def slow_background(tasks: BackgroundTasks) -> dict[str, str]:
    async def forever() -> None:
        await asyncio.sleep(60)
        note("slow-finished")

    tasks.add_task(forever)
    return {"answer": "now"}


handler = serverless(app)


@handler.on_shutdown
def flush() -> None:
    note("shutdown")
