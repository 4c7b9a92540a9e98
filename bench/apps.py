"""The apps and events every benchmark uses: a JSON route (`json`: GET /items/42), a small
JSON POST (`post`: POST /items, the body parsed and answered) and a 256 KiB binary route
(`binary`), on Flask, Django, Starlette and FastAPI (and a WSGI app that does nearly nothing);
events for API Gateway HTTP API (v2) and REST API (v1).
"""

import base64
import copy
from typing import Any

BINARY = bytes(range(256)) * 1024  # 256 KiB
SMALL_JSON = {"id": 42, "name": "widget", "tags": ["a", "b"], "price": 9.99}
NEW_ITEM = {"name": "gadget", "tags": ["c"], "price": 4.5}
NEW_ITEM_BODY = '{"name": "gadget", "tags": ["c"], "price": 4.5}'


def flask_app() -> Any:
    import flask

    app = flask.Flask("bench")

    @app.get("/items/42")
    def item() -> Any:
        return flask.jsonify(SMALL_JSON)

    @app.post("/items")
    def create() -> Any:
        return flask.jsonify({"id": 43, **flask.request.get_json()}), 201

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

    async def create(request: Request) -> JSONResponse:
        return JSONResponse({"id": 43, **(await request.json())}, status_code=201)

    async def blob(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    return Starlette(
        routes=[
            Route("/items/42", item),
            Route("/items", create, methods=["POST"]),
            Route("/blob", blob, methods=["POST"]),
        ]
    )


def fastapi_app() -> Any:
    from fastapi import FastAPI, Request
    from fastapi.responses import Response

    app = FastAPI()

    @app.get("/items/42")
    async def item() -> dict[str, Any]:
        return SMALL_JSON

    @app.post("/items", status_code=201)
    async def create(item: dict[str, Any]) -> dict[str, Any]:
        return {"id": 43, **item}

    @app.post("/blob")
    async def blob(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    return app


def django_app() -> Any:
    """The same routes on Django (settings configured in code, no project folder)."""
    import json
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
    def create(request: Any) -> Any:
        return JsonResponse({"id": 43, **json.loads(request.body)}, status=201)

    @csrf_exempt
    def blob(request: Any) -> Any:
        return HttpResponse(request.body, content_type="application/octet-stream")

    urls = types.ModuleType("bench_django_urls")
    urls.urlpatterns = [path("items/42", item), path("items", create), path("blob", blob)]  # type: ignore[attr-defined]
    sys.modules["bench_django_urls"] = urls
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def plain_wsgi_app() -> Any:
    """A WSGI app that does almost nothing: the same JSON answer for every request, so an
    adapter's own work is nearly all that is counted."""
    import json

    answer = json.dumps(SMALL_JSON).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        if not body:
            start_response("200 OK", list(headers))
            return [answer]
        echoed = [("Content-Type", environ["CONTENT_TYPE"]), ("Content-Length", str(len(body)))]
        start_response("200 OK", echoed)
        return [body]

    return app


APPS = {
    "plain-wsgi": plain_wsgi_app,
    "flask": flask_app,
    "django": django_app,
    "starlette": starlette_app,
    "fastapi": fastapi_app,
}
WSGI = {"flask", "django", "plain-wsgi"}

_HEADERS = {
    "accept": "application/json",
    "host": "abc123.execute-api.us-east-1.amazonaws.com",
    "user-agent": "bench/1.0",
    "x-forwarded-for": "198.51.100.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
}


def _request(kind: str) -> tuple[str, str, dict[str, str], str | None, bool]:
    """(method, path, headers, body, is base64) for a kind of request."""
    headers = dict(_HEADERS)
    if kind == "binary":
        headers["content-type"] = "application/octet-stream"
        headers["content-length"] = str(len(BINARY))
        return "POST", "/blob", headers, base64.b64encode(BINARY).decode(), True
    if kind == "post":
        headers["content-type"] = "application/json"
        headers["content-length"] = str(len(NEW_ITEM_BODY))
        return "POST", "/items", headers, NEW_ITEM_BODY, False
    return "GET", "/items/42", headers, None, False


def v2_event(kind: str) -> dict[str, Any]:
    method, path, headers, body, is_base64 = _request(kind)
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
                "method": method,
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
        "body": body,
        "isBase64Encoded": is_base64,
    }


def v1_event(kind: str) -> dict[str, Any]:
    method, path, headers, body, is_base64 = _request(kind)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
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
            "httpMethod": method,
            "identity": {"sourceIp": "198.51.100.7", "userAgent": "bench/1.0"},
            "path": "/prod" + path,
            "protocol": "HTTP/1.1",
            "requestId": "bench-request",
            "requestTimeEpoch": 1710270238390,
            "resourcePath": "/{proxy+}",
            "stage": "prod",
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


EVENTS = {"v2": v2_event, "v1": v1_event}


def wrap(adapter: str, app: Any) -> Any:
    """`app` wrapped by `adapter` as a function's module would, the adapter imported here
    (the cold-start benchmarks time this call)."""
    if adapter == "faasgi":
        import faasgi

        return faasgi.serverless(app)
    if adapter == "mangum":
        from mangum import Mangum

        return Mangum(app, lifespan="auto")
    if adapter == "apig-wsgi":
        import apig_wsgi

        return apig_wsgi.make_lambda_handler(app, binary_support=True)
    if adapter == "serverless-wsgi":
        import serverless_wsgi

        return lambda event, context: serverless_wsgi.handle_request(app, event, context)
    raise ValueError(f"unknown adapter {adapter!r}")


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
