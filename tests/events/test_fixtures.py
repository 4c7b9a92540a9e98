"""Every real sample event in tests/fixtures/events reaches the app as the platform's
documentation says it should, and comes back as a valid answer for its source.

The expected request is read from each event with a deliberately plain reading of the
documented format (below), independent of faasgi's parsers.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest

from faasgi import UnsupportedEvent, serverless
from tests.apps import make_starlette_app
from tests.conftest import INVALID_BASE64, NON_HTTP, all_event_files, http_event_files, load_event


@pytest.fixture(scope="module")
def handler() -> Any:
    handler = serverless(make_starlette_app(), raise_app_errors=True)
    yield handler
    handler.shutdown()


def _documented_request(event: dict[str, Any]) -> dict[str, Any]:
    """method, path, args, body of an event, read straight from the documented fields."""
    context = event.get("requestContext") or {}
    if event.get("version") == "v1" and "rawPath" in event:  # FC 3.0
        args = list(event.get("queryParameters", {}).items())
        return {
            "method": context["http"]["method"],
            "path": context["http"]["path"],  # FC gives the decoded path too
            "args": args,
            "body": _body(event.get("body"), event.get("isBase64Encoded")),
        }
    if "http" in context:  # HTTP API 2.0 (rawPath decoded) / Function URL (rawPath encoded)
        function_url = ".lambda-url." in context.get("domainName", "")
        return {
            "method": context["http"]["method"],
            "path": unquote(event["rawPath"]) if function_url else event["rawPath"],
            "args": parse_qsl(event.get("rawQueryString", ""), keep_blank_values=True),
            "body": _body(event.get("body"), event.get("isBase64Encoded")),
        }
    if "elb" in context:  # ALB: path and query still percent-encoded
        if "multiValueQueryStringParameters" in event:
            raw = event["multiValueQueryStringParameters"] or {}
            args = [(unquote(k), unquote(v)) for k, vs in raw.items() for v in vs]
        else:
            raw = event.get("queryStringParameters") or {}
            args = [(unquote(k), unquote(v)) for k, v in raw.items()]
        return {
            "method": event["httpMethod"],
            "path": unquote(event["path"]),
            "args": args,
            "body": _body(event.get("body"), event.get("isBase64Encoded")),
        }
    if "httpMethod" in event:  # REST API 1.0: encoded path, stage in requestContext.path
        multi = event.get("multiValueQueryStringParameters")
        if multi:
            args = [(k, v) for k, vs in multi.items() for v in vs]
        else:
            args = list((event.get("queryStringParameters") or {}).items())
        full_path = context.get("path") or event["path"]
        return {
            "method": event["httpMethod"],
            "path": unquote(full_path if full_path.endswith(event["path"]) else event["path"]),
            "args": args,
            "body": _body(event.get("body"), event.get("isBase64Encoded")),
        }
    # VPC Lattice v1 (snake_case) or v2
    parameters = event.get("query_string_parameters") or event.get("queryStringParameters") or {}
    args = []
    for key, values in parameters.items():
        args.extend((key, v) for v in (values if isinstance(values, list) else [values]))
    path = event.get("raw_path") or event.get("path")
    encoded = event.get("is_base64_encoded", event.get("isBase64Encoded"))
    return {
        "method": event["method"],
        "path": unquote(path),
        "args": args,
        "body": _body(event.get("body"), encoded),
    }


def _body(body: str | None, is_base64: bool | None) -> bytes:
    if not body:
        return b""
    return base64.b64decode(body) if is_base64 else body.encode()


def _assert_valid_answer(event: dict[str, Any], answer: Any) -> None:
    """The answer has exactly the shape the event's platform documents."""
    context = event.get("requestContext") or {}
    assert isinstance(answer, dict)
    assert isinstance(answer["statusCode"], int)
    assert isinstance(answer["body"], str)
    assert isinstance(answer["isBase64Encoded"], bool)
    if answer["isBase64Encoded"]:
        base64.b64decode(answer["body"], validate=True)
    json.dumps(answer)  # the runtime serialises it
    if "elb" in context:
        assert answer["statusDescription"].startswith(str(answer["statusCode"]))
        if "multiValueHeaders" in event:
            assert "headers" not in answer
            assert all(isinstance(v, list) for v in answer["multiValueHeaders"].values())
        else:
            assert "multiValueHeaders" not in answer
            assert all(isinstance(v, str) for v in answer["headers"].values())
    elif "httpMethod" in event:
        assert all(isinstance(v, list) for v in answer["multiValueHeaders"].values())
    else:
        assert all(isinstance(v, str) for v in answer["headers"].values())
        if "http" in context and "cookies" in answer:
            assert all(isinstance(c, str) for c in answer["cookies"])


@pytest.mark.parametrize(
    "path", http_event_files(), ids=lambda p: p.relative_to(p.parents[1]).as_posix()
)
def test_http_fixture_reaches_the_app_as_documented(handler: Any, path: Path) -> None:
    event = load_event(path)
    answer = handler(event, None)
    _assert_valid_answer(event, answer)
    if path.name in INVALID_BASE64:
        assert answer["statusCode"] == 400
        assert "base64" in answer["body"]
        return
    assert answer["statusCode"] == 200
    seen = json.loads(answer["body"])
    expected = _documented_request(event)
    assert seen["method"] == expected["method"]
    assert seen["path"] == expected["path"]
    assert [tuple(pair) for pair in seen["args"]] == [tuple(pair) for pair in expected["args"]]
    assert seen["body"]["length"] == len(expected["body"])


def test_fc3_event_arrives_as_bytes(handler: Any, events_dir: Path) -> None:
    raw = (events_dir / "alibaba-fc" / "fc3-http-post-binary-base64.json").read_bytes()
    answer = handler(raw, None)
    assert answer["statusCode"] == 200
    seen = json.loads(answer["body"])
    assert seen["body"]["length"] == 70  # a 1x1 PNG, README: "decoded body ... length 70"
    assert seen["method"] == "POST"


@pytest.mark.parametrize(
    "path",
    [p for p in all_event_files() if p.name in NON_HTTP or "cloudfront" in p.parts],
    ids=lambda p: p.name,
)
def test_non_http_fixture_without_a_route_is_unsupported(handler: Any, path: Path) -> None:
    event = load_event(path)
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        # A schedule aimed at a web app is a keep-warm ping: answered, the app untouched.
        assert handler(event, None)["warm"] is True
        return
    with pytest.raises(UnsupportedEvent, match="no HTTP source"):
        handler(event, None)
