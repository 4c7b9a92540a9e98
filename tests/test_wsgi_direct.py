"""The environ built straight from an API Gateway event (faasgi.wsgi_direct) is the one the
general path builds (`aws_http.parse` + `WSGIRunner.environ`, held to Werkzeug's by
tests/test_differential.py), key order included; shapes it does not cover fall back."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import faasgi.wsgi_direct as direct
from faasgi import serverless
from faasgi.events import aws_http, aws_rest
from faasgi.lifecycle import Invocation

FIXTURES = Path(__file__).parent / "fixtures" / "events" / "aws-powertools-lambda-python"
SAMPLES = [
    "apiGatewayProxyV2Event.json",
    "apiGatewayProxyV2Event_GET.json",
    "apiGatewayProxyV2IamEvent.json",
    "apiGatewayProxyV2OtherGetEvent.json",
    "apiGatewayProxyV2EventPathTrailingSlash.json",
]


def _sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return event


def _common(event: dict[str, Any]) -> dict[str, Any]:
    """The sample made the common shape: default stage, no cookies array."""
    event = copy.deepcopy(event)
    event.pop("cookies", None)
    event["requestContext"]["stage"] = "$default"
    for name in [n for n in event.get("headers") or {} if n.lower() == "cookie"]:
        del event["headers"][name]
    return event


def _environs(
    event: dict[str, Any], source: Any = aws_http
) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]], bool]:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    handler = serverless(app)
    general = lambda event, base_path: None  # noqa: E731
    build = direct._BUILDERS[source.NAME]
    taken = build(handler._runner, general, copy.deepcopy(event), "") is not None
    handler(copy.deepcopy(event), None)
    invocation = Invocation(event, None, source.NAME, False)
    expected = handler._runner.environ(source.parse(copy.deepcopy(event), ""), invocation)
    skip = {"wsgi.input", "faasgi.invocation", "apig_wsgi.full_event", "apig_wsgi.context"}

    def comparable(environ: dict[str, Any]) -> list[tuple[str, Any]]:
        return [(k, v) for k, v in environ.items() if k not in skip]

    return comparable(seen[0]), comparable(expected), taken


def _variants() -> list[tuple[str, dict[str, Any], bool]]:
    base = _common(_sample("apiGatewayProxyV2Event.json"))
    cases = [(name, _common(_sample(name)), True) for name in SAMPLES]

    def variant(label: str, taken: bool, change: Any) -> None:
        event = copy.deepcopy(base)
        change(event)
        cases.append((label, event, taken))

    variant("host", True, lambda e: e["headers"].update({"Host": "example.com"}))
    variant("host-port", True, lambda e: e["headers"].update({"host": "example.com:8443"}))
    variant("non-ascii-header", True, lambda e: e["headers"].update({"x-name": "café"}))
    variant("underscore-header", True, lambda e: e["headers"].update({"x_spoof": "1"}))
    variant("content-length", True, lambda e: e["headers"].update({"Content-Length": "0"}))
    variant("body", True, lambda e: e.update(body="hello", isBase64Encoded=False))
    variant("no-headers", True, lambda e: e.update(headers=None))
    variant("cookies", False, lambda e: e.update(cookies=["a=1", "b=2"]))
    variant("cookie-header", False, lambda e: e["headers"].update({"Cookie": "a=1"}))
    variant("repeated", False, lambda e: e["headers"].update({"X-A": "1", "x-a": "2"}))
    variant("list-value", False, lambda e: e["headers"].update({"x-a": ["1", "2"]}))
    variant("named-stage", False, lambda e: e["requestContext"].update(stage="dev"))
    variant(
        "function-url",
        False,
        lambda e: e["requestContext"].update(domainName="abc.lambda-url.us-east-1.on.aws"),
    )
    return cases


@pytest.mark.parametrize(
    ("label", "event", "taken"), [pytest.param(*case, id=case[0]) for case in _variants()]
)
def test_direct_environ_is_the_general_one(label: str, event: dict[str, Any], taken: bool) -> None:
    actual, expected, direct_taken = _environs(event)
    assert direct_taken is taken
    assert actual == expected


def _rest_variants() -> list[tuple[str, dict[str, Any], bool]]:
    base = _sample("apiGatewayProxyEvent.json")
    base["multiValueHeaders"] = {k: [v] for k, v in base["headers"].items() if k != "Cookie"}
    cases = [("sample", base, True)]

    def variant(label: str, taken: bool, change: Any) -> None:
        event = copy.deepcopy(base)
        change(event)
        cases.append((label, event, taken))

    headers = "multiValueHeaders"
    variant("no-host", True, lambda e: e[headers].pop("Host", None))
    variant(
        "custom-domain", True, lambda e: e["requestContext"].update(domainName="api.example.com")
    )
    variant("query", True, lambda e: e.update(multiValueQueryStringParameters={"q": ["a b", "é"]}))
    variant("encoded-path", True, lambda e: e.update(path="/caf%C3%A9/a b"))
    variant("body", True, lambda e: e.update(body="aGk=", isBase64Encoded=True))
    variant("cookie", False, lambda e: e[headers].update({"Cookie": ["a=1"]}))
    variant("two-values", False, lambda e: e[headers].update({"X-A": ["1", "2"]}))
    variant("repeated", False, lambda e: e[headers].update({"X-A": ["1"], "x-a": ["2"]}))
    variant("single-value-only", False, lambda e: e.pop(headers))
    return cases


@pytest.mark.parametrize(
    ("label", "event", "taken"), [pytest.param(*case, id=case[0]) for case in _rest_variants()]
)
def test_direct_rest_environ_is_the_general_one(
    label: str, event: dict[str, Any], taken: bool
) -> None:
    actual, expected, direct_taken = _environs(event, aws_rest)
    assert direct_taken is taken
    assert actual == expected
