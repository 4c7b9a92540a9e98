"""What a route sees through the test client (`FaasClient`) and the emulator (`faasgi serve`'s
gateway) equals what it sees deployed, for the paths platforms treat differently: `%20`, `%2F`,
`%2B`, `%25` and UTF-8.

"Deployed" is the event each platform was seen to send for the client's path (issue 10's
captures, July 2026), written here from those facts with `urllib.parse`, not with faasgi's
event builders: REST APIs, Function URLs, ALB and FC 3.0 hand the path over as the client sent
it; an HTTP API decodes it, cuts it at a decoded `?`, decodes it again, and answers 400 itself
when `%25` leaves a `%` that starts no escape.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import flask
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from faasgi import serverless
from faasgi.local.frames import RESULT
from faasgi.local.gateway import Gateway
from faasgi.local.pool import Outcome
from faasgi.local.worker import Runtime
from faasgi.testing import FaasClient

PATHS = {
    "space": "/p/a%20b",
    "encoded-slash": "/p/a%2Fb",
    "encoded-plus": "/p/a%2Bb",
    "encoded-percent": "/p/100%25",
    "utf-8": "/p/caf%C3%A9",
}
HOST = "api.example.com"
URL_HOST = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def rest(raw: str) -> dict[str, Any]:
    # A custom domain: `path` and `requestContext.path` are both the whole path, encoded.
    context = {"domainName": HOST, "path": raw, "stage": "prod", "httpMethod": "GET"}
    return {
        "httpMethod": "GET",
        "path": raw,
        "multiValueHeaders": {"Host": [HOST]},
        "requestContext": context,
    }


def http_api_raw_path(raw: str) -> str | None:
    once = unquote(raw).split("?", 1)[0]
    if _LONE_PERCENT.search(once):
        return None  # the HTTP API answers 400 and never calls the function
    return unquote(once)


def payload_v2(raw_path: str, domain: str) -> dict[str, Any]:
    http = {"method": "GET", "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {"host": domain},
        "requestContext": {"domainName": domain, "http": http, "stage": "$default"},
        "isBase64Encoded": False,
    }


def alb(raw: str, multi: bool) -> dict[str, Any]:
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:tg/x"}},
        "httpMethod": "GET",
        "path": raw,
        "isBase64Encoded": False,
        "body": "",
    }
    if multi:
        event.update(multiValueHeaders={"host": [HOST]}, multiValueQueryStringParameters={})
    else:
        event.update(headers={"host": HOST}, queryStringParameters={})
    return event


def fc3(raw: str) -> bytes:
    http = {"method": "GET", "path": unquote(raw), "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"}
    event = {
        "version": "v1",
        "rawPath": raw,
        "headers": {},
        "queryParameters": {},
        "body": "",
        "isBase64Encoded": False,
        "requestContext": {"domainName": HOST, "http": http, "timeEpoch": "1783000000000"},
    }
    return json.dumps(event).encode("utf-8")


def deployed_event(source: str, raw: str) -> Any | None:
    """The event the platform sends for this client path; None when it answers 400 itself."""
    if source == "aws-http":
        sent = http_api_raw_path(raw)
        return None if sent is None else payload_v2(sent, HOST)
    builders: dict[str, Callable[[str], Any]] = {
        "aws-rest": rest,
        "function-url": lambda path: payload_v2(path, URL_HOST),
        "alb": lambda path: alb(path, multi=False),
        "alb-multi": lambda path: alb(path, multi=True),
        "fc-http": fc3,
    }
    return builders[source](raw)


SOURCES = ["aws-rest", "aws-http", "function-url", "alb", "alb-multi", "fc-http"]
REFUSED = (400, {"message": "Bad Request"})


def flask_app() -> flask.Flask:
    app = flask.Flask("paths")

    @app.get("/p/<path:rest>")
    def show(rest: str) -> Any:
        environ = flask.request.environ
        return {
            "rest": rest,
            "path": flask.request.path,
            "script_root": flask.request.script_root,
            "request_uri": environ.get("REQUEST_URI"),
        }

    return app


async def starlette_show(request: Request) -> JSONResponse:
    raw_path = request.scope.get("raw_path")
    return JSONResponse(
        {
            "rest": request.path_params["rest"],
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "raw_path": raw_path.decode("latin-1") if raw_path is not None else None,
        }
    )


def starlette_app() -> Starlette:
    return Starlette(routes=[Route("/p/{rest:path}", starlette_show)])


class InProcess:
    """The emulator's instance, in this process: the worker's runtime around the handler."""

    def __init__(self, handler: Any, source: str) -> None:
        self.runtime = Runtime(handler, source, timeout=60)

    async def invoke(self, request_id: str, event: bytes) -> Outcome:
        frames: list[tuple[int, bytes, bytes]] = []
        self.runtime.invoke(request_id.encode(), event, lambda *frame: frames.append(frame))
        kind, meta, answer = frames[0]  # the answer; DONE follows
        failure = None if kind == RESULT else "error"
        return Outcome("i-1", False, None, float(meta), 0.0, answer, failure)


@pytest.fixture(scope="module", params=["flask", "starlette"])
def handler(request: pytest.FixtureRequest) -> Iterator[Any]:
    app = flask_app() if request.param == "flask" else starlette_app()
    wrapped = serverless(app, raise_app_errors=True)
    yield wrapped
    wrapped.shutdown()


def deployed_view(handler: Any, source: str, raw: str) -> tuple[int, Any]:
    event = deployed_event(source, raw)
    if event is None:
        return REFUSED
    answer = handler(event, None)
    return answer["statusCode"], json.loads(answer["body"])


def client_view(handler: Any, source: str, raw: str) -> tuple[int, Any]:
    response = FaasClient(handler, source, base_url=f"https://{HOST}").get(raw)
    return response.status_code, response.json()


def emulator_view(handler: Any, source: str, raw: str) -> tuple[int, Any]:
    gateway = Gateway(InProcess(handler, source), source)

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=gateway, client=("192.0.2.10", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000") as c:
            return await c.get(raw)

    response = asyncio.run(send())
    return response.status_code, response.json()


@pytest.mark.parametrize("case", sorted(PATHS))
@pytest.mark.parametrize("source", SOURCES)
def test_route_sees_locally_what_it_sees_deployed(handler: Any, source: str, case: str) -> None:
    raw = PATHS[case]
    deployed = deployed_view(handler, source, raw)
    assert client_view(handler, source, raw) == deployed
    assert emulator_view(handler, source, raw) == deployed


def test_the_captured_facts_are_what_the_routes_see() -> None:
    """Spot checks of the deployed views themselves, straight from the captures."""
    app = serverless(flask_app())
    assert deployed_view(app, "aws-rest", "/p/a%2Fb")[1]["rest"] == "a/b"
    assert deployed_view(app, "aws-rest", "/p/a%2Bb")[1]["request_uri"] == "/p/a%2Bb"
    assert deployed_view(app, "aws-http", "/p/a%252Fb")[1]["rest"] == "a/b"  # decoded twice
    assert deployed_view(app, "aws-http", "/p/a%3Fb")[1]["rest"] == "a"  # cut at `%3F`
    assert deployed_view(app, "aws-http", "/p/a%253Fb")[1]["rest"] == "a?b"
    assert deployed_view(app, "aws-http", "/p/a%20b")[1]["request_uri"] is None
    assert deployed_view(app, "function-url", "/p/100%25")[1]["rest"] == "100%"
    assert deployed_view(app, "fc-http", "/p/caf%C3%A9")[1]["rest"] == "café"
