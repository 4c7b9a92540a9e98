"""An LLM-style token feed on FastAPI, streamed as server-sent events.

    FAASGI_INVOKE_MODE=RESPONSE_STREAM faasgi serve examples.streaming.fastapi_app:handler

`GET /` is a page that shows the tokens as they arrive; `GET /tokens?prompt=...` is the
feed. The app is plain FastAPI (a `StreamingResponse` and a `BackgroundTasks` task);
faasgi streams it where the platform can (see README.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, StreamingResponse

from examples.streaming.tokens import (
    SSE_HEADERS,
    bounded,
    event,
    record_after_response,
    token,
)
from faasgi import serverless

PAGE = Path(__file__).resolve().parent / "static" / "index.html"


def create_app() -> FastAPI:
    app = FastAPI()
    page = PAGE.read_text(encoding="utf-8")  # once per instance, at init

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return page

    @app.get("/tokens")
    async def tokens(
        background: BackgroundTasks,
        prompt: str = "hello",
        count: str | None = None,
        delay: str | None = None,
    ) -> StreamingResponse:
        try:
            number, seconds = bounded(count, delay)
        except ValueError as error:
            raise HTTPException(400, str(error)) from None

        async def feed() -> AsyncIterator[str]:
            for position in range(number):
                if position:
                    await asyncio.sleep(seconds)
                yield event(token(prompt, position))
            yield event(str(number), "done")

        background.add_task(record_after_response, prompt, number)
        return StreamingResponse(feed(), media_type="text/event-stream", headers=SSE_HEADERS)

    return app


handler = serverless(create_app, invoke_mode="RESPONSE_STREAM")
