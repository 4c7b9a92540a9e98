"""API Gateway REST API (payload 1.0): events/aws_rest.py."""

from __future__ import annotations

import base64
import json
from typing import Any

import flask
import pytest

from faasgi import serverless
from tests.apps import PNG


def rest_event(
    path: str = "/items",
    *,
    stage: str = "prod",
    context_path: str | None = None,
    domain: str = "abc123.execute-api.us-east-1.amazonaws.com",
    multi_query: dict[str, list[str]] | None = None,
    multi_headers: dict[str, list[str]] | None = None,
    body: str | None = None,
    is_base64: bool = False,
    method: str = "GET",
) -> dict[str, Any]:
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": None,
        "multiValueHeaders": {"Host": [domain], **(multi_headers or {})},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": multi_query,
        "requestContext": {
            "domainName": domain,
            "path": context_path if context_path is not None else f"/{stage}{path}",
            "stage": stage,
            "identity": {"sourceIp": "198.51.100.4"},
            "requestTimeEpoch": 1700000000000,
            "requestId": "r-1",
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def app() -> flask.Flask:
    application = flask.Flask("rest")

    @application.route("/", defaults={"rest": ""}, methods=["GET", "POST"])
    @application.route("/<path:rest>", methods=["GET", "POST"])
    def show(rest: str) -> Any:
        if flask.request.args.get("png"):
            return flask.Response(PNG, mimetype="image/png")
        response = flask.jsonify(
            script_root=flask.request.script_root,
            path=flask.request.path,
            url=flask.request.url,
            args=[[k, v] for k, v in flask.request.args.items(multi=True)],
            body=base64.b64encode(flask.request.get_data()).decode(),
            header=flask.request.headers.get("X-Multi"),
            remote=flask.request.remote_addr,
            request_uri=flask.request.environ.get("REQUEST_URI"),
        )
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    return application


@pytest.fixture
def handler() -> Any:
    return serverless(app())


def seen(answer: dict[str, Any]) -> Any:
    return json.loads(answer["body"])


def test_stage_from_request_context_path_becomes_the_root_path(handler: Any) -> None:
    result = seen(handler(rest_event("/items"), None))
    assert result["script_root"] == "/prod"
    assert result["path"] == "/items"
    assert result["url"] == "https://abc123.execute-api.us-east-1.amazonaws.com/prod/items"


def test_custom_domain_without_stage_in_the_url_has_no_root(handler: Any) -> None:
    event = rest_event("/items", domain="api.example.com", context_path="/items")
    result = seen(handler(event, None))
    assert result["script_root"] == ""
    assert result["path"] == "/items"


def test_custom_domain_base_path_mapping_is_stripped_when_configured() -> None:
    handler = serverless(app(), base_path="/v1")
    event = rest_event("/v1/items", domain="api.example.com", context_path="/v1/items")
    result = seen(handler(event, None))
    assert result["script_root"] == "/v1"
    assert result["path"] == "/items"


def test_repeated_query_keys_keep_their_order(handler: Any) -> None:
    event = rest_event(multi_query={"tag": ["b", "a"], "q": ["x y&z"]})
    assert seen(handler(event, None))["args"] == [["tag", "b"], ["tag", "a"], ["q", "x y&z"]]


def test_repeated_headers_reach_a_wsgi_app_comma_joined(handler: Any) -> None:
    event = rest_event(multi_headers={"X-Multi": ["1", "2"]})
    assert seen(handler(event, None))["header"] == "1, 2"


def test_base64_request_body_is_decoded(handler: Any) -> None:
    raw = bytes(range(256))
    event = rest_event(method="POST", body=base64.b64encode(raw).decode(), is_base64=True)
    assert base64.b64decode(seen(handler(event, None))["body"]) == raw


def test_invalid_base64_body_is_a_400_not_a_crash(handler: Any) -> None:
    answer = handler(rest_event(method="POST", body="not base64!", is_base64=True), None)
    assert answer["statusCode"] == 400
    assert answer["multiValueHeaders"]["content-type"] == ["text/plain; charset=utf-8"]


def test_every_response_header_leaves_in_multi_value_headers(handler: Any) -> None:
    answer = handler(rest_event(), None)
    assert "headers" not in answer
    assert answer["multiValueHeaders"]["set-cookie"] == ["a=1; Path=/", "b=2; Path=/"]


def test_binary_response_is_base64_not_a_crash(handler: Any) -> None:
    answer = handler(rest_event(multi_query={"png": ["1"]}), None)
    assert answer["isBase64Encoded"] is True
    assert base64.b64decode(answer["body"]) == PNG  # apig-wsgi raises UnicodeDecodeError


def test_single_value_fields_are_used_when_multi_value_ones_are_absent(handler: Any) -> None:
    event = rest_event()
    del event["multiValueHeaders"]
    event["headers"] = {"Host": "h.example", "X-Multi": "solo"}
    event["multiValueQueryStringParameters"] = None
    event["queryStringParameters"] = {"a": "1"}
    result = seen(handler(event, None))
    assert result["header"] == "solo"
    assert result["args"] == [["a", "1"]]


def test_encoded_path_is_decoded_once_and_the_raw_path_kept(handler: Any) -> None:
    # Captured July 2026, and LocalStack's snapshot of real AWS: `path` and
    # `requestContext.path` arrive percent-encoded, as the client sent them.
    event = rest_event("/items/a%2Fb/space%20value", multi_query={"q": ["a+b"]})
    result = seen(handler(event, None))
    assert result["path"] == "/items/a/b/space value"
    assert result["request_uri"] == "/prod/items/a%2Fb/space%20value?q=a%2Bb"


def test_event_without_request_context_is_served_with_defaults(handler: Any) -> None:
    # Hand-written test events and older tools leave requestContext out.
    event = {"httpMethod": "GET", "path": "/items/a%20b", "headers": {"Host": "h.example"}}
    answer = handler(event, None)
    assert answer["statusCode"] == 200
    result = seen(answer)
    assert result["script_root"] == ""
    assert result["path"] == "/items/a b"
    assert result["url"] == "https://h.example/items/a%20b"


@pytest.mark.parametrize(
    ("host", "script_root"),
    [("abc123.execute-api.us-east-1.amazonaws.com", "/prod"), ("api.example.com", "")],
)
def test_without_domain_name_and_context_path_the_host_tells_where_the_stage_is(
    handler: Any, host: str, script_root: str
) -> None:
    event = rest_event("/items", domain=host)
    del event["requestContext"]["domainName"], event["requestContext"]["path"]
    result = seen(handler(event, None))
    assert result["script_root"] == script_root  # no stage guessed onto a custom domain
    assert result["path"] == "/items"
