"""One request, captured from each real platform (issue 10: CloudWatch, July 2026), must reach
Flask and Starlette the way the frameworks' own test clients deliver the same request.

The client sent, to every source:

    POST /capture/space%20value?repeat=one&repeat=two&literalPlus=a+b&encodedPlus=a%2Bb&empty=
    X-Repeat: one
    X-Repeat: two
    Cookie: a=1; b=2
    Content-Type: application/json; charset=utf-8

    {"name": "café ✓"}

Each event below is written by hand from what that platform was seen to send (and LocalStack's
snapshot of a real REST API: tests/aws/services/apigateway/test_apigateway_lambda.snapshot.json,
"invocation-payload-with-path-encoded-email"), not by faasgi's event builders. The oracles are
Werkzeug's test client and httpx's ASGITransport given the original request; where a platform
loses something, `LOSSES` applies exactly that loss to the oracle's view and says why.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import flask
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from faasgi import serverless

PATH = "/capture/space%20value"
QUERY = "repeat=one&repeat=two&literalPlus=a+b&encodedPlus=a%2Bb&empty="
BODY = json.dumps({"name": "café ✓"}, ensure_ascii=False)
CONTENT_TYPE = "application/json; charset=utf-8"
REST_HOST = "abc123.execute-api.us-east-1.amazonaws.com"
HTTP_HOST = "def456.execute-api.us-east-1.amazonaws.com"
URL_HOST = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
ALB_HOST = "capture-alb-1234567890.us-east-1.elb.amazonaws.com"
FC_HOST = "capture-xqzlvmbnpr.cn-hangzhou.fcapp.run"


def rest_event() -> dict[str, Any]:
    """REST API, stage `live`: path and proxy encoded as sent, query values decoded."""
    multi_headers = {
        "Content-Type": [CONTENT_TYPE],
        "Cookie": ["a=1; b=2"],
        "Host": [REST_HOST],
        "X-Forwarded-Port": ["443"],
        "X-Forwarded-Proto": ["https"],
        "X-Repeat": ["one", "two"],
    }
    return {
        "resource": "/{proxy+}",
        "path": "/capture/space%20value",
        "httpMethod": "POST",
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {
            "repeat": "two",
            "literalPlus": "a b",
            "encodedPlus": "a+b",
            "empty": "",
        },
        "multiValueQueryStringParameters": {
            "repeat": ["one", "two"],
            "literalPlus": ["a b"],
            "encodedPlus": ["a+b"],
            "empty": [""],
        },
        "pathParameters": {"proxy": "capture/space%20value"},
        "stageVariables": None,
        "requestContext": {
            "domainName": REST_HOST,
            "httpMethod": "POST",
            "identity": {"sourceIp": "198.51.100.20"},
            "path": "/live/capture/space%20value",
            "protocol": "HTTP/1.1",
            "requestId": "rest-1",
            "requestTimeEpoch": 1783000000000,
            "resourcePath": "/{proxy+}",
            "stage": "live",
        },
        "body": BODY,
        "isBase64Encoded": False,
    }


def payload_v2_event(host: str, raw_path: str) -> dict[str, Any]:
    """Payload 2.0: repeated headers and query values comma-joined, cookies in a list."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": QUERY,
        "cookies": ["a=1", "b=2"],
        "headers": {
            "content-type": CONTENT_TYPE,
            "host": host,
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "x-repeat": "one,two",
        },
        "queryStringParameters": {
            "repeat": "one,two",
            "literalPlus": "a b",
            "encodedPlus": "a+b",
            "empty": "",
        },
        "requestContext": {
            "domainName": host,
            "http": {
                "method": "POST",
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.20",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "v2-1",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 1783000000000,
        },
        "body": BODY,
        "isBase64Encoded": False,
    }


def http_api_event() -> dict[str, Any]:
    """HTTP API: rawPath arrives decoded."""
    return payload_v2_event(HTTP_HOST, "/capture/space value")


def function_url_event() -> dict[str, Any]:
    """Function URL: rawPath stays encoded."""
    return payload_v2_event(URL_HOST, "/capture/space%20value")


def alb_event(multi: bool) -> dict[str, Any]:
    """ALB: path and query values exactly as sent; single-value mode keeps the last value."""
    headers = {
        "content-type": [CONTENT_TYPE],
        "cookie": ["a=1; b=2"],
        "host": [ALB_HOST],
        "x-forwarded-for": ["198.51.100.20"],
        "x-forwarded-port": ["443"],
        "x-forwarded-proto": ["https"],
        "x-repeat": ["one", "two"],
    }
    query = {"repeat": ["one", "two"], "literalPlus": ["a+b"], "encodedPlus": ["a%2Bb"]}
    query["empty"] = [""]
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:tg/capture"}},
        "httpMethod": "POST",
        "path": "/capture/space%20value",
        "body": BODY,
        "isBase64Encoded": False,
    }
    if multi:
        event["multiValueHeaders"] = headers
        event["multiValueQueryStringParameters"] = query
    else:
        event["headers"] = {name: values[-1] for name, values in headers.items()}
        event["queryStringParameters"] = {name: values[-1] for name, values in query.items()}
    return event


def fc3_event() -> bytes:
    """FC 3.0: Go-canonical names, folded values, no Host, rawPath encoded; as bytes."""
    event = {
        "version": "v1",
        "rawPath": "/capture/space%20value",
        "headers": {
            "Content-Type": CONTENT_TYPE,
            "Cookie": "a=1; b=2",
            "X-Forwarded-Proto": "https",
            "X-Repeat": "one,two",
        },
        "queryParameters": {
            "repeat": "one,two",
            "literalPlus": "a b",
            "encodedPlus": "a+b",
            "empty": "",
        },
        "body": BODY,
        "isBase64Encoded": False,
        "requestContext": {
            "accountId": "1234567890123456",
            "domainName": FC_HOST,
            "domainPrefix": "capture-xqzlvmbnpr",
            "http": {
                "method": "POST",
                "path": "/capture/space value",
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.20",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "1-6a1b2c3d-0a1b2c3d",
            "time": "2026-07-02T10:00:00Z",
            "timeEpoch": "1783000000000",
        },
    }
    return json.dumps(event).encode("utf-8")


#: source -> (the event, the URL the client addressed up to the path: the mount point)
SOURCES: dict[str, tuple[Callable[[], Any], str]] = {
    "aws-rest": (rest_event, f"https://{REST_HOST}/live"),
    "aws-http": (http_api_event, f"https://{HTTP_HOST}"),
    "function-url": (function_url_event, f"https://{URL_HOST}"),
    "alb-multi": (lambda: alb_event(multi=True), f"https://{ALB_HOST}"),
    "alb": (lambda: alb_event(multi=False), f"https://{ALB_HOST}"),
    "fc-http": (fc3_event, f"https://{FC_HOST}"),
}


def _requery(report: dict[str, Any], query: str) -> None:
    report["url"] = report["url"].split("?", 1)[0] + "?" + query


def rest_loss(report: dict[str, Any], framework: str) -> None:
    # Query values arrive decoded and are re-encoded: the `+` the client used for a space
    # comes back as `%20` (the same value).
    _requery(report, "repeat=one&repeat=two&literalPlus=a%20b&encodedPlus=a%2Bb&empty=")


def alb_single_loss(report: dict[str, Any], framework: str) -> None:
    # Multi-value mode off: the last value of a repeated key or header.
    report["args"] = [["repeat", "two"], ["literalPlus", "a b"], ["encodedPlus", "a+b"]]
    report["args"].append(["empty", ""])
    report["repeat_header"] = ["two"]
    _requery(report, "repeat=two&literalPlus=a+b&encodedPlus=a%2Bb&empty=")


def fc3_loss(report: dict[str, Any], framework: str) -> None:
    # Repeated query values folded into one, the query re-encoded from decoded values.
    report["args"] = [["repeat", "one,two"], ["literalPlus", "a b"], ["encodedPlus", "a+b"]]
    report["args"].append(["empty", ""])
    comma = "," if framework == "flask" else "%2C"  # Werkzeug's request.url unquotes ","
    _requery(report, f"repeat=one{comma}two&literalPlus=a%20b&encodedPlus=a%2Bb&empty=")


LOSSES: dict[str, Callable[[dict[str, Any], str], None]] = {
    "aws-rest": rest_loss,
    "alb": alb_single_loss,
    "fc-http": fc3_loss,
}


def flask_app() -> flask.Flask:
    app = flask.Flask("capture")

    @app.post("/capture/<name>")
    def capture(name: str) -> Any:
        request = flask.request
        return {
            "name": name,
            "args": [[key, value] for key, value in request.args.items(multi=True)],
            "cookies": dict(request.cookies),
            "url": request.url,
            "repeat_header": request.headers.get("X-Repeat", ""),
            "json": request.get_json(),
        }

    return app


async def starlette_capture(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "name": request.path_params["name"],
            "args": [[key, value] for key, value in request.query_params.multi_items()],
            "cookies": dict(request.cookies),
            "url": str(request.url),
            "repeat_header": ",".join(request.headers.getlist("x-repeat")),
            "json": await request.json(),
        }
    )


def starlette_app() -> Starlette:
    return Starlette(routes=[Route("/capture/{name}", starlette_capture, methods=["POST"])])


CLIENT_HEADERS = [
    ("X-Repeat", "one"),
    ("X-Repeat", "two"),
    ("Cookie", "a=1; b=2"),
    ("Content-Type", CONTENT_TYPE),
]


def werkzeug_view(app: flask.Flask, base_url: str) -> dict[str, Any]:
    """What Flask sees of the original request through Werkzeug's own test client."""
    response = app.test_client(use_cookies=False).post(  # send the Cookie header as it is
        PATH + "?" + QUERY, base_url=base_url, headers=CLIENT_HEADERS, data=BODY.encode("utf-8")
    )
    assert response.status_code == 200
    view: dict[str, Any] = response.get_json()
    return view


def httpx_view(app: Starlette, base_url: str) -> dict[str, Any]:
    """What Starlette sees of the original request through httpx's ASGITransport."""
    root_path = httpx.URL(base_url).path.rstrip("/")

    async def send() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app, root_path=root_path)
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.post(
                base_url + PATH + "?" + QUERY, headers=CLIENT_HEADERS, content=BODY.encode()
            )
        assert response.status_code == 200
        view: dict[str, Any] = response.json()
        return view

    return asyncio.run(send())


def comparable(view: dict[str, Any]) -> dict[str, Any]:
    """Repeated header values compared as a list (RFC 9110 5.3: `a, b` is two values)."""
    header = view["repeat_header"]
    values = header if isinstance(header, list) else header.split(",")
    return {**view, "repeat_header": [value.strip() for value in values if value.strip()]}


@pytest.fixture(scope="module")
def apps() -> Any:
    flask_handler = serverless(flask_app(), raise_app_errors=True)
    starlette_handler = serverless(starlette_app(), raise_app_errors=True)
    yield {"flask": flask_handler, "starlette": starlette_handler}
    starlette_handler.shutdown()


@pytest.mark.parametrize("framework", ["flask", "starlette"])
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_captured_request_reaches_the_app_as_the_framework_test_client_delivers_it(
    apps: dict[str, Any], framework: str, source: str
) -> None:
    make_event, base_url = SOURCES[source]
    handler = apps[framework]
    answer = handler(make_event(), None)
    assert answer["statusCode"] == 200
    seen = comparable(json.loads(answer["body"]))

    if framework == "flask":
        expected = comparable(werkzeug_view(handler.app, base_url))
    else:
        expected = comparable(httpx_view(handler.app, base_url))
    if source in LOSSES:
        LOSSES[source](expected, framework)

    # The headline: every source hands the route the path segment decoded exactly once.
    assert seen["name"] == expected["name"] == "space value"
    assert seen == expected
