"""Echo apps used across the tests: each reports what the framework saw, and answers with
what the request asks for (a status, cookies, repeated headers, binary, gzip, a stream).

The Flask and the Starlette app answer the same requests the same way, so one table of
cases exercises both.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from typing import Any

import flask
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

#: A real 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _body_report(body: bytes) -> dict[str, Any]:
    try:
        text: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "text": text if text is not None and len(text) <= 200 else None,
    }


def _selected_headers(pairs: list[tuple[str, str]]) -> list[list[str]]:
    """x-* headers and content-type, in order: what a platform must pass on intact."""
    return [
        [name.lower(), value]
        for name, value in pairs
        if name.lower().startswith("x-test") or name.lower() == "content-type"
    ]


# -- Flask ------------------------------------------------------------------------------


def make_flask_app() -> flask.Flask:
    app = flask.Flask("faasgi-test-echo")

    @app.route("/", defaults={"rest": ""}, methods=METHODS)
    @app.route("/<path:rest>", methods=METHODS)
    def echo(rest: str) -> Any:
        request = flask.request
        action = request.args.get("do", "")
        if action == "binary":
            return flask.Response(PNG, mimetype="image/png")
        if action == "gzip":
            data = gzip.compress(b'{"compressed": true}', mtime=0)
            return flask.Response(
                data, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
            )
        if action == "redirect":
            return flask.redirect("/echo/target", code=302)
        if action == "stream":
            return flask.Response((f"chunk{i};".encode() for i in range(5)), mimetype="text/plain")
        status = int(request.args.get("status", "200"))
        if status == 204:
            return flask.Response(status=204)
        report = {
            "method": request.method,
            "root_path": request.root_path,
            "path": request.path,
            "url": request.url,
            "args": [[k, v] for k, v in request.args.items(multi=True)],
            "headers": _selected_headers(list(request.headers.items())),
            "cookies": dict(request.cookies),
            "body": _body_report(request.get_data()),
            "form": [[k, v] for k, v in request.form.items(multi=True)],
            "files": {k: _body_report(f.read()) for k, f in request.files.items()},
        }
        response = flask.Response(
            json.dumps(report, sort_keys=True), status=status, mimetype="application/json"
        )
        for number in range(int(request.args.get("cookies", "0"))):
            response.set_cookie(f"c{number}", f"v{number}", path="/", httponly=True)
        if request.args.get("dup"):
            response.headers.add("X-Dup", "one")
            response.headers.add("X-Dup", "two")
        return response

    return app


# -- Starlette --------------------------------------------------------------------------


async def _starlette_echo(request: StarletteRequest) -> Response:
    action = request.query_params.get("do", "")
    if action == "binary":
        return Response(PNG, media_type="image/png")
    if action == "gzip":
        data = gzip.compress(b'{"compressed": true}', mtime=0)
        return Response(data, headers={"content-encoding": "gzip"}, media_type="application/json")
    if action == "redirect":
        return RedirectResponse("/echo/target", status_code=302)
    if action == "stream":

        async def chunks() -> Any:
            for i in range(5):
                yield f"chunk{i};".encode()

        return StreamingResponse(chunks(), media_type="text/plain")
    status = int(request.query_params.get("status", "200"))
    if status == 204:
        return Response(status_code=204)
    body = await request.body()
    form: list[list[str]] = []
    files: dict[str, Any] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        async with request.form() as data:
            for key, value in data.multi_items():
                if isinstance(value, str):
                    form.append([key, value])
                else:
                    files[key] = _body_report(await value.read())
    scope = request.scope
    report = {
        "method": request.method,
        "root_path": scope.get("root_path", ""),
        "path": request.url.path,
        "raw_path": scope["raw_path"].decode("latin-1") if scope.get("raw_path") else None,
        "url": str(request.url),
        "args": [[k, v] for k, v in request.query_params.multi_items()],
        "headers": _selected_headers(list(request.headers.items())),
        "cookies": dict(request.cookies),
        "body": _body_report(body),
        "form": form,
        "files": files,
    }
    response = Response(
        json.dumps(report, sort_keys=True), status_code=status, media_type="application/json"
    )
    for number in range(int(request.query_params.get("cookies", "0"))):
        response.set_cookie(f"c{number}", f"v{number}", path="/", httponly=True)
    if request.query_params.get("dup"):
        response.headers.append("x-dup", "one")
        response.headers.append("x-dup", "two")
    return response


def make_starlette_app() -> Starlette:
    return Starlette(
        routes=[Route("/{rest:path}", _starlette_echo, methods=METHODS)],
    )


__all__ = ["PNG", "JSONResponse", "make_flask_app", "make_starlette_app"]
