"""The apps and events every benchmark uses: one JSON route and one 256 KiB binary route,
on Flask, Django, Starlette and FastAPI; events for API Gateway HTTP API (v2) and REST API (v1).
"""

from __future__ import annotations

import base64
import copy
from typing import Any

BINARY = bytes(range(256)) * 1024  # 256 KiB
SMALL_JSON = {"id": 42, "name": "widget", "tags": ["a", "b"], "price": 9.99}


def flask_app() -> Any:
    import flask

    app = flask.Flask("bench")

    @app.get("/items/42")
    def item() -> Any:
        return flask.jsonify(SMALL_JSON)

    @app.post("/blob")
    def blob() -> Any:
        data = flask.request.get_data()
        return flask.Response(data, mimetype="application/octet-stream")

    return app


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def item(request: Request) -> JSONResponse:
        return JSONResponse(SMALL_JSON)

    async def blob(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    return Starlette(routes=[Route("/items/42", item), Route("/blob", blob, methods=["POST"])])


def fastapi_app() -> Any:
    from fastapi import FastAPI, Request
    from fastapi.responses import Response

    app = FastAPI()

    @app.get("/items/42")
    async def item() -> dict[str, Any]:
        return SMALL_JSON

    @app.post("/blob")
    async def blob(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    return app


def django_app() -> Any:
    """The same two routes on Django (settings configured in code, no project folder)."""
    import sys
    import types

    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="bench",
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF="bench_django_urls",
            MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
    from django.http import HttpResponse, JsonResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    def item(request: Any) -> Any:
        return JsonResponse(SMALL_JSON)

    @csrf_exempt
    def blob(request: Any) -> Any:
        return HttpResponse(request.body, content_type="application/octet-stream")

    urls = types.ModuleType("bench_django_urls")
    urls.urlpatterns = [path("items/42", item), path("blob", blob)]  # type: ignore[attr-defined]
    sys.modules["bench_django_urls"] = urls
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


APPS = {
    "flask": flask_app,
    "django": django_app,
    "starlette": starlette_app,
    "fastapi": fastapi_app,
}
WSGI = {"flask", "django"}

_HEADERS = {
    "accept": "application/json",
    "host": "abc123.execute-api.us-east-1.amazonaws.com",
    "user-agent": "bench/1.0",
    "x-forwarded-for": "198.51.100.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
}


def v2_event(kind: str) -> dict[str, Any]:
    binary = kind == "binary"
    path = "/blob" if binary else "/items/42"
    headers = dict(_HEADERS)
    if binary:
        headers["content-type"] = "application/octet-stream"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST" if binary else "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "bench/1.0",
            },
            "requestId": "bench-request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2024:19:03:58 +0000",
            "timeEpoch": 1710270238390,
        },
        "body": base64.b64encode(BINARY).decode() if binary else None,
        "isBase64Encoded": binary,
    }


def v1_event(kind: str) -> dict[str, Any]:
    binary = kind == "binary"
    path = "/blob" if binary else "/items/42"
    headers = dict(_HEADERS)
    if binary:
        headers["content-type"] = "application/octet-stream"
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "POST" if binary else "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path[1:]},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "httpMethod": "POST" if binary else "GET",
            "identity": {"sourceIp": "198.51.100.7", "userAgent": "bench/1.0"},
            "path": "/prod" + path,
            "protocol": "HTTP/1.1",
            "requestId": "bench-request",
            "requestTimeEpoch": 1710270238390,
            "resourcePath": "/{proxy+}",
            "stage": "prod",
        },
        "body": base64.b64encode(BINARY).decode() if binary else None,
        "isBase64Encoded": binary,
    }


EVENTS = {"v2": v2_event, "v1": v1_event}


class Context:
    """A Lambda context with what adapters read."""

    aws_request_id = "bench-request"
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def fresh(event: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(event)
