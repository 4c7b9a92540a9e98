"""Handlers bench_runtime.py runs under each Lambda runtime: a plain function, a faasgi
handler for a small JSON route, and a token stream (100 chunks over 2 s)."""

from __future__ import annotations

import asyncio
from typing import Any

from apps import starlette_app

from faasgi import serverless


def plain(event: Any, context: Any) -> Any:
    return {"ok": True}


json_handler = serverless(starlette_app())


async def _stream(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    for index in range(100):
        await asyncio.sleep(0.02)
        await send({"type": "http.response.body", "body": b"token %d\n" % index, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


stream_handler = serverless(_stream, lifespan="off")
