"""API Gateway HTTP API (payload 2.0) and Function URLs: events/aws_http.py."""

from __future__ import annotations

import json
from typing import Any

import flask
import pytest

from faasgi import serverless
from faasgi.events import aws_http
from tests.apps import make_starlette_app


def v2_event(
    raw_path: str = "/hello",
    *,
    stage: str = "$default",
    domain: str = "abc123.execute-api.us-east-1.amazonaws.com",
    query: str = "",
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    method: str = "GET",
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {"host": domain, **(headers or {})},
        "requestContext": {
            "domainName": domain,
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.9",
                "userAgent": "t",
            },
            "requestId": "req-1",
            "stage": stage,
            "timeEpoch": 1700000000000,
        },
        "isBase64Encoded": False,
    }
    if cookies is not None:
        event["cookies"] = cookies
    return event


def flask_paths() -> flask.Flask:
    app = flask.Flask("paths")

    @app.route("/", defaults={"rest": ""})
    @app.route("/<path:rest>")
    def show(rest: str) -> Any:
        return {
            "script_root": flask.request.script_root,
            "path": flask.request.path,
            "url": flask.request.url,
            "query": flask.request.query_string.decode(),
            "cookie": flask.request.headers.get("Cookie"),
            "remote": flask.request.remote_addr,
        }

    return app


@pytest.fixture
def handler() -> Any:
    return serverless(flask_paths())


def body(answer: dict[str, Any]) -> Any:
    return json.loads(answer["body"])


def test_default_stage_is_no_root_path(handler: Any) -> None:
    seen = body(handler(v2_event("/hello"), None))
    assert seen["script_root"] == ""
    assert seen["path"] == "/hello"


def test_named_stage_on_execute_api_domain_becomes_the_root_path(handler: Any) -> None:
    seen = body(handler(v2_event("/dev/hello", stage="dev"), None))
    assert seen["script_root"] == "/dev"
    assert seen["path"] == "/hello"
    assert seen["url"] == "https://abc123.execute-api.us-east-1.amazonaws.com/dev/hello"


def test_named_stage_on_custom_domain_is_not_stripped(handler: Any) -> None:
    seen = body(handler(v2_event("/dev/hello", stage="dev", domain="api.example.com"), None))
    assert seen["script_root"] == ""
    assert seen["path"] == "/dev/hello"


def test_base_path_option_strips_a_custom_domain_mapping() -> None:
    handler = serverless(flask_paths(), base_path="v1/")
    seen = body(handler(v2_event("/v1/items", domain="api.example.com"), None))
    assert seen["script_root"] == "/v1"
    assert seen["path"] == "/items"
    other = body(handler(v2_event("/v10/items", domain="api.example.com"), None))
    assert other["path"] == "/v10/items"  # only a whole leading segment is a mount point


def test_raw_query_string_is_passed_as_it_came(handler: Any) -> None:
    seen = body(handler(v2_event(query="a=%20x&b=+&c=%2B&a=2"), None))
    assert seen["query"] == "a=%20x&b=+&c=%2B&a=2"


def test_cookies_array_becomes_one_cookie_header(handler: Any) -> None:
    seen = body(handler(v2_event(cookies=["a=1", "b=2"]), None))
    assert seen["cookie"] == "a=1; b=2"


def test_client_address_is_the_source_ip(handler: Any) -> None:
    assert body(handler(v2_event(), None))["remote"] == "198.51.100.9"


FUNCTION_URL = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"


def test_function_url_path_is_decoded_once_and_raw_path_kept() -> None:
    # Function URLs hand rawPath over percent-encoded (captured July 2026).
    handler = serverless(make_starlette_app())
    try:
        seen = body(handler(v2_event("/echo/a%2Fb/%2541", domain=FUNCTION_URL), None))
    finally:
        handler.shutdown()
    assert seen["path"] == "/echo/a/b/%41"
    assert seen["raw_path"] == "/echo/a%2Fb/%2541"


def test_http_api_path_arrives_decoded_and_is_never_decoded_again() -> None:
    # An HTTP API hands rawPath over decoded: a client's `%2541` arrives as `%41`, `%25zz`
    # as `%zz`; decoding again would turn the first into `A`.
    handler = serverless(make_starlette_app())
    try:
        seen = body(handler(v2_event("/echo/space value/%41/%zz/100%"), None))
    finally:
        handler.shutdown()
    assert seen["path"] == "/echo/space value/%41/%zz/100%"
    assert seen["raw_path"] is None  # what the client sent is not in the event


def test_host_header_tells_function_url_when_the_event_has_no_domain_name() -> None:
    handler = serverless(make_starlette_app())
    event = v2_event("/echo/a%20b", domain=FUNCTION_URL)
    del event["requestContext"]["domainName"]
    try:
        seen = body(handler(event, None))
    finally:
        handler.shutdown()
    assert seen["path"] == "/echo/a b"


def test_several_set_cookie_leave_in_the_cookies_array_and_others_comma_joined() -> None:
    app = flask.Flask("cookies")

    @app.get("/")
    def index() -> Any:
        response = flask.make_response("ok")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        response.headers.add("X-Dup", "one")
        response.headers.add("X-Dup", "two")
        return response

    answer = serverless(app)(v2_event("/"), None)
    assert answer["cookies"] == ["a=1; Path=/", "b=2; Path=/"]
    assert "set-cookie" not in {k.lower() for k in answer["headers"]}
    assert answer["headers"]["x-dup"] == "one,two"


def test_no_content_type_is_invented_for_an_empty_answer() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    answer = serverless(app, lifespan="off")(v2_event("/"), None)
    assert answer["statusCode"] == 204
    assert answer["headers"] == {}  # mangum adds application/json here
    assert answer["body"] == ""


def test_build_event_round_trips_through_parse() -> None:
    from faasgi.events import Stamp
    from faasgi.testing import FaasClient

    request = FaasClient(None).build_request(
        "POST", "/a%20b?x=1&x=2", headers=[("X-Test", "v")], cookies={"s": "1"}, content=b"\xff"
    )
    event = aws_http.build_event(request, Stamp(stage="$default"))
    assert event["rawPath"] == "/a b"  # decoded, as an HTTP API sends it
    parsed = aws_http.parse(event, "")
    assert parsed.path == b"/a b"
    assert parsed.raw_path is None
    assert parsed.query_string == "x=1&x=2"
    assert parsed.body == b"\xff"
    assert ("x-test", "v") in parsed.headers
    assert ("cookie", "s=1") in parsed.headers
    assert event["queryStringParameters"] == {"x": "1,2"}


def test_an_event_without_a_host_header_gets_one_for_its_domain_name() -> None:
    # AWS sample events (Powertools' apiGatewayProxyV2Event.json) carry no Host; HTTP/1.1
    # requests always do (RFC 9112 3.2), and apps read it.
    app = flask.Flask("host")

    @app.get("/")
    def host() -> Any:
        return {"host": flask.request.headers.get("Host"), "url": flask.request.url}

    event = v2_event("/", domain="abc123.execute-api.us-east-1.amazonaws.com")
    del event["headers"]["host"]
    seen = body(serverless(app)(event, None))
    assert seen == {
        "host": "abc123.execute-api.us-east-1.amazonaws.com",
        "url": "https://abc123.execute-api.us-east-1.amazonaws.com/",
    }
