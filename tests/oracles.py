"""Reference answers from the frameworks' own test clients: Werkzeug's for WSGI apps,
httpx's ASGITransport for ASGI apps. The differential tests compare faasgi against these.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from werkzeug.test import EnvironBuilder, run_wsgi_app

from faasgi.http import Request, Response
from faasgi.wsgi import header_text, wsgi_text


def _url(request: Request, base_url: str) -> str:
    raw_path = request.raw_path or "/"
    query = request.query_string
    return base_url + raw_path + ("?" + query if query else "")


def werkzeug_response(app: Any, request: Request, base_url: str) -> Response:
    """What Werkzeug's test client gets from a WSGI app for this request."""
    builder = EnvironBuilder(
        path=request.raw_path or "/",
        base_url=base_url,
        query_string=request.query_string,
        method=request.method,
        headers=[
            (name, wsgi_text(value))
            for name, value in request.headers
            if name not in ("host", "content-length")
        ],
        data=request.body,
    )
    environ = builder.get_environ()
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close:
            close()
    pairs = [(k.lower(), header_text(v)) for k, v in headers.items()]
    return Response(int(status[:3]), pairs, body)


def asgi_response(app: Any, request: Request, base_url: str) -> Response:
    """What httpx's ASGITransport gets from an ASGI app for this request (raw body bytes)."""

    async def call() -> Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            outgoing = client.build_request(
                request.method,
                _url(request, base_url),
                headers=[
                    (name, value.encode("utf-8"))
                    for name, value in request.headers
                    if name != "content-length"
                ],
                content=request.body,
            )
            answer = await client.send(outgoing, stream=True)
            body = b"".join([chunk async for chunk in answer.aiter_raw()])
            await answer.aclose()
            pairs = [
                (name.decode("latin-1").lower(), value.decode("utf-8"))
                for name, value in answer.headers.raw
            ]
            return Response(answer.status_code, pairs, body)

    return asyncio.run(call())


def comparable_headers(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Headers as name -> values, comma-joined values split apart (RFC 9110 5.3 makes
    `a: 1, 2` and two `a` lines the same); Set-Cookie kept whole, order ignored."""
    result: dict[str, list[str]] = {}
    for raw_name, value in pairs:
        name = raw_name.lower()
        if name == "set-cookie":
            result.setdefault(name, []).append(value)
        else:
            result.setdefault(name, []).extend(part.strip() for part in value.split(","))
    if "set-cookie" in result:
        result["set-cookie"].sort()
    return result
