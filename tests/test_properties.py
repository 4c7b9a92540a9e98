"""Property-based: whatever an event holds, the handler answers a valid platform response
or raises UnsupportedEvent; nothing else escapes, and the instance keeps serving."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faasgi import UnsupportedEvent, serverless
from tests.apps import make_flask_app, make_starlette_app

text = st.text(max_size=30)
junk = st.one_of(
    st.none(),
    st.integers(),
    st.booleans(),
    st.lists(text, max_size=2),
    text,
    st.dictionaries(text, text, max_size=2),
)
header_maps = st.dictionaries(text, st.one_of(text, st.lists(text, max_size=3)), max_size=5)
multi_maps = st.dictionaries(text, st.lists(text, max_size=3), max_size=4)
paths = st.one_of(st.just("/echo"), st.text(alphabet="/%azAZ09 +?é_-.", max_size=25))
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "get"])
bodies = st.one_of(
    st.none(), text, st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode())
)
queries = st.sampled_from(
    [
        "",
        "do=binary",
        "do=gzip",
        "cookies=2&dup=1",
        "status=204",
        "do=redirect",
        "status=404",
        "do=stream",
    ]
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a well-formed value, one time in ten junk of another type."""
    return st.integers(0, 9).flatmap(lambda n: junk if n == 0 else strategy)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["v2", "rest", "alb", "alb-multi", "lattice1", "lattice2", "fc3"]))
    body = draw(bodies)
    flag = draw(st.booleans())
    path = draw(paths)
    query = draw(queries)
    if kind == "v2":
        return {
            "version": "2.0",
            "rawPath": draw(maybe(st.just(path))),
            "rawQueryString": draw(maybe(st.just(query))),
            "headers": draw(maybe(header_maps)),
            "cookies": draw(maybe(st.lists(text))),
            "requestContext": {
                "http": draw(
                    maybe(
                        st.fixed_dictionaries(
                            {"method": methods, "sourceIp": text, "protocol": text}
                        )
                    )
                ),
                "stage": draw(maybe(text)),
                "domainName": draw(maybe(text)),
            },
            "body": draw(maybe(st.just(body))),
            "isBase64Encoded": draw(maybe(st.just(flag))),
        }
    if kind == "rest":
        return {
            "httpMethod": draw(maybe(methods)),
            "path": draw(maybe(st.just(path))),
            "multiValueHeaders": draw(maybe(multi_maps)),
            "headers": draw(maybe(header_maps)),
            "multiValueQueryStringParameters": draw(maybe(multi_maps)),
            "requestContext": draw(
                maybe(
                    st.fixed_dictionaries(
                        {
                            "path": maybe(text),
                            "stage": maybe(text),
                            "domainName": maybe(text),
                            "identity": maybe(st.fixed_dictionaries({"sourceIp": text})),
                        }
                    )
                )
            ),
            "body": draw(maybe(st.just(body))),
            "isBase64Encoded": flag,
        }
    if kind in ("alb", "alb-multi"):
        event: dict[str, Any] = {
            "requestContext": {"elb": {}},
            "httpMethod": draw(maybe(methods)),
            "path": draw(maybe(st.just(path))),
            "body": draw(maybe(st.just(body))),
            "isBase64Encoded": flag,
        }
        if kind == "alb":
            event["headers"] = draw(maybe(header_maps))
            event["queryStringParameters"] = draw(maybe(st.dictionaries(text, text, max_size=3)))
        else:
            event["multiValueHeaders"] = draw(maybe(multi_maps))
            event["multiValueQueryStringParameters"] = draw(maybe(multi_maps))
        return event
    if kind == "lattice1":
        return {
            "raw_path": draw(maybe(st.just(path))),
            "method": draw(maybe(methods)),
            "headers": draw(maybe(header_maps)),
            "query_string_parameters": draw(maybe(st.dictionaries(text, text, max_size=3))),
            "body": draw(maybe(st.just(body))),
            "is_base64_encoded": flag,
        }
    if kind == "lattice2":
        return {
            "version": "2.0",
            "path": draw(maybe(st.just(path))),
            "method": draw(maybe(methods)),
            "headers": draw(maybe(header_maps)),
            "queryStringParameters": draw(maybe(multi_maps)),
            "body": draw(maybe(st.just(body))),
            "isBase64Encoded": flag,
            "requestContext": {"serviceNetworkArn": "arn"},
        }
    return {
        "version": "v1",
        "rawPath": draw(maybe(st.just(path))),
        "headers": draw(maybe(header_maps)),
        "queryParameters": draw(maybe(st.dictionaries(text, text, max_size=3))),
        "requestContext": {
            "domainName": draw(maybe(text)),
            "http": draw(maybe(st.fixed_dictionaries({"method": methods, "sourceIp": text}))),
            "timeEpoch": draw(maybe(text)),
        },
        "body": draw(maybe(st.just(body))),
        "isBase64Encoded": flag,
    }


def assert_valid_answer(answer: Any) -> None:
    assert isinstance(answer, dict)
    assert isinstance(answer["statusCode"], int) and 100 <= answer["statusCode"] <= 599
    assert isinstance(answer["body"], str)
    assert isinstance(answer["isBase64Encoded"], bool)
    if answer["isBase64Encoded"]:
        base64.b64decode(answer["body"], validate=True)
    headers = answer.get("headers", answer.get("multiValueHeaders"))
    assert isinstance(headers, dict)
    json.dumps(answer)


@pytest.fixture(scope="module", params=["flask", "starlette"])
def handler(request: pytest.FixtureRequest) -> Any:
    app = make_flask_app() if request.param == "flask" else make_starlette_app()
    handler = serverless(app)
    yield handler
    handler.shutdown()


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(event=events())
def test_any_event_gets_a_valid_answer_or_unsupported_event(
    handler: Any, event: dict[str, Any]
) -> None:
    try:
        answer = handler(event, None)
    except UnsupportedEvent:
        return
    assert_valid_answer(answer)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    event=st.dictionaries(
        st.sampled_from(
            [
                "Records",
                "source",
                "detail-type",
                "events",
                "triggerTime",
                "triggerName",
                "version",
                "requestContext",
                "httpMethod",
                "methodArn",
                "raw_path",
                "method",
                "path",
            ]
        ),
        junk,
        max_size=5,
    )
)
def test_arbitrary_objects_never_crash_the_handler(handler: Any, event: dict[str, Any]) -> None:
    try:
        answer = handler(event, None)
    except UnsupportedEvent:
        return
    if "warm" in answer:
        assert answer["warm"] is True
        return
    assert_valid_answer(answer)
