"""VPC Lattice structure v1 and v2: events/aws_lattice.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from faasgi import serverless


async def show(request: Request) -> JSONResponse:
    response = JSONResponse(
        {
            "path": request.url.path,
            "args": [[k, v] for k, v in request.query_params.multi_items()],
            "powertools": request.headers.getlist("powertools"),
            "client": request.client.host if request.client else None,
            "body": (await request.body()).decode(),
        }
    )
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return response


@pytest.fixture(scope="module")
def handler() -> Any:
    handler = serverless(Starlette(routes=[Route("/{p:path}", show, methods=["GET", "POST"])]))
    yield handler
    handler.shutdown()


def test_v1_snake_case_event(handler: Any) -> None:
    event = {
        "raw_path": "/v1/x%20y",
        "method": "POST",
        "headers": {"host": "svc.on.aws", "x-forwarded-for": "10.0.0.9"},
        "query_string_parameters": {"order-id": "1"},
        "body": "eyJhIjogMX0=",
        "is_base64_encoded": True,
    }
    answer = handler(event, None)
    seen = json.loads(answer["body"])
    assert seen == {
        "path": "/v1/x y",
        "args": [["order-id", "1"]],
        "powertools": [],
        "client": "10.0.0.9",
        "body": '{"a": 1}',
    }


def test_v2_list_values_reach_the_app_intact(handler: Any) -> None:
    event = {
        "version": "2.0",
        "path": "/v2",
        "method": "GET",
        "headers": {"powertools": ["a", "b"], "host": ["svc.on.aws"]},
        "queryStringParameters": {"p": ["1", "2"], "q": ["a b"]},
        "body": "",
        "isBase64Encoded": False,
        "requestContext": {"serviceNetworkArn": "arn", "timeEpoch": "1696331543569073"},
    }
    seen = json.loads(handler(event, None)["body"])
    assert seen["args"] == [["p", "1"], ["p", "2"], ["q", "a b"]]
    assert seen["powertools"] == ["a", "b"]


def test_response_has_status_description_and_single_value_headers(handler: Any) -> None:
    event = {
        "version": "2.0",
        "path": "/",
        "method": "GET",
        "headers": {},
        "requestContext": {"serviceNetworkArn": "arn"},
    }
    answer = handler(event, None)
    assert answer["statusDescription"] == "200 OK"
    assert all(isinstance(v, str) for v in answer["headers"].values())
    cookies = sorted(v for k, v in answer["headers"].items() if k.lower() == "set-cookie")
    assert [c.split(";")[0] for c in cookies] == ["a=1", "b=2"]


def test_v2_event_is_not_mistaken_for_an_http_api_event() -> None:
    from faasgi.events import Detector

    event = {
        "version": "2.0",
        "path": "/",
        "method": "GET",
        "requestContext": {"serviceNetworkArn": "x"},
    }
    source = Detector()(event)
    assert source is not None and source.NAME == "lattice"
