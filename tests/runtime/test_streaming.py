"""faasgi.runtime streams HTTP answers in Lambda's wire format, byte for byte: a chunked
POST /response with the streaming mode header, the JSON prelude, 8 NUL bytes, then each
chunk the moment the app produces it; an error mid-stream goes out as the declared trailers
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html). Expected bodies and
headers come from each framework's own test client."""

from __future__ import annotations

import base64
import json
import sys
import warnings
from itertools import pairwise
from typing import Any

import pytest

with warnings.catch_warnings():  # Starlette's note on httpx vs httpx2: not this test's concern
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from faasgi.events import builder
from faasgi.testing import FaasClient
from tests.runtime.conftest import APPS, function_url_event

pytestmark = pytest.mark.slow

STREAM = {"FAASGI_INVOKE_MODE": "RESPONSE_STREAM"}
DELIMITER = b"\x00" * 8


@pytest.fixture(scope="module")
def apps() -> Any:
    sys.path.insert(0, str(APPS))
    import flaskweb
    import web

    yield web, flaskweb
    sys.path.remove(str(APPS))


def split(body: bytes) -> tuple[dict[str, Any], bytes]:
    prelude, delimiter, rest = body.partition(DELIMITER)
    assert delimiter == DELIMITER
    assert b"\x00" not in prelude
    return json.loads(prelude), rest


def test_fastapi_stream_arrives_chunk_by_chunk_in_lambdas_format(
    launch: Any, apps: Any, tmp_path: Any
) -> None:
    web, _ = apps
    expected = TestClient(web.app).get("/stream?count=5&pause=0.2")
    server, _ = launch("faasgi", "web.handler", RECORD_DIR=str(tmp_path), **STREAM)
    outcome = server.invoke(function_url_event("/stream", "count=5&pause=0.2"), wait=60)

    assert outcome.kind == "response" and outcome.streamed
    assert outcome.headers["lambda-runtime-function-response-mode"] == "streaming"
    assert outcome.headers["transfer-encoding"] == "chunked"
    assert outcome.content_type == "application/vnd.awslambda.http-integration-response"
    declared = {name.strip() for name in outcome.headers["trailer"].split(",")}
    assert declared == {
        "Lambda-Runtime-Function-Error-Type",
        "Lambda-Runtime-Function-Error-Body",
    }
    prelude, body = split(outcome.body)
    assert prelude == {
        "statusCode": expected.status_code,
        "headers": {"content-type": expected.headers["content-type"]},
        "cookies": expected.headers.get_list("set-cookie"),
    }
    assert body == expected.content
    assert outcome.trailers == {}

    # The prelude and delimiter first, then one HTTP chunk per token, as produced.
    first, *tokens = outcome.chunks
    assert first[1].endswith(DELIMITER)
    assert [data for _, data in tokens] == [f"data: token {i}\n\n".encode() for i in range(5)]
    arrivals = [when for when, _ in tokens]
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    assert min(gaps) >= 0.15  # the app waits 0.2 s between tokens: nothing was buffered
    assert outcome.completed_at - first[0] >= 0.8


def test_an_error_mid_stream_goes_out_in_the_error_trailers(
    launch: Any, apps: Any, tmp_path: Any
) -> None:
    server, _ = launch("faasgi", "web.handler", RECORD_DIR=str(tmp_path), **STREAM)
    outcome = server.invoke(function_url_event("/broken-stream"), wait=60)
    assert outcome.kind == "response"  # Lambda treats it as a response with error metadata
    _, body = split(outcome.body)
    assert body == b"data: token 0\n\ndata: token 1\n\n"
    assert outcome.trailers["lambda-runtime-function-error-type"] == "RuntimeError"
    error = json.loads(base64.b64decode(outcome.trailers["lambda-runtime-function-error-body"]))
    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"] == "the token feed broke"
    assert isinstance(error["stackTrace"], list)
    # The loop goes on.
    assert server.invoke(function_url_event("/stream", "count=1&pause=0"), wait=60).streamed


def test_flask_generator_streams_unchanged(launch: Any, apps: Any) -> None:
    _, flaskweb = apps
    expected = flaskweb.app.test_client().get("/stream")
    server, _ = launch("faasgi", "flaskweb.handler")  # invoke_mode set in serverless()
    outcome = server.invoke(function_url_event("/stream"), wait=60)
    prelude, body = split(outcome.body)
    assert prelude["statusCode"] == expected.status_code
    assert prelude["headers"]["content-type"] == expected.headers["Content-Type"]
    assert body == expected.data
    tokens = outcome.chunks[1:]
    assert [data for _, data in tokens] == [f"line {i}\n".encode() for i in range(4)]
    gaps = [b[0] - a[0] for a, b in pairwise(tokens)]
    assert min(gaps) >= 0.15


def test_rest_api_prelude_carries_multi_value_headers(
    launch: Any, apps: Any, tmp_path: Any
) -> None:
    web, _ = apps
    expected = TestClient(web.app).get("/stream?count=2&pause=0")
    client = FaasClient(web.handler, "aws-rest")
    _, build = builder("aws-rest")
    event = build(client.build_request("GET", "/stream?count=2&pause=0"), client.stamp())
    server, _ = launch("faasgi", "web.handler", RECORD_DIR=str(tmp_path), **STREAM)
    prelude, body = split(server.invoke(event, wait=60).body)
    assert prelude["statusCode"] == 200
    assert prelude["multiValueHeaders"]["set-cookie"] == expected.headers.get_list("set-cookie")
    assert prelude["headers"]["content-type"] == expected.headers["content-type"]
    assert body == expected.content


def test_http_api_events_are_answered_buffered_even_in_streaming_mode(
    launch: Any, apps: Any, tmp_path: Any
) -> None:
    web, _ = apps
    client = FaasClient(web.handler, base_url="https://abc123.execute-api.us-east-1.amazonaws.com")
    _, build = builder("aws-http")
    event = build(client.build_request("GET", "/stream?count=2&pause=0"), client.stamp())
    server, _ = launch("faasgi", "web.handler", RECORD_DIR=str(tmp_path), **STREAM)
    outcome = server.invoke(event, wait=60)
    assert not outcome.streamed and outcome.content_type == "application/json"
    assert outcome.json()["body"] == "data: token 0\n\ndata: token 1\n\n"
