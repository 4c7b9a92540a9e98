"""A faasgi handler for a small JSON app, for comparing runtimes answer for answer."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from faasgi import serverless


async def hello(request: Any) -> JSONResponse:
    response = JSONResponse({"hello": request.query_params.get("name", "world")})
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return response


handler = serverless(Starlette(routes=[Route("/hello", hello)]))


@handler.on("sqs")
def consume(record: Any, invocation: Any) -> None:
    if record.body == "bad":
        raise ValueError("bad record")


@handler.on("schedule")
def tick(event: Any, invocation: Any) -> None:
    raise RuntimeError("the schedule failed")
