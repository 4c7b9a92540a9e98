"""Application Load Balancer: events/aws_alb.py."""

from __future__ import annotations

import json
import logging
from typing import Any

import flask
import pytest

from faasgi import serverless


def alb_event(
    multi: bool, *, query: dict[str, Any] | None = None, xff: str = "203.0.113.5"
) -> dict[str, Any]:
    headers = {
        "host": "lb.example.com",
        "x-forwarded-for": xff,
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
    }
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:tg"}},
        "httpMethod": "GET",
        "path": "/things/a%20b",
        "body": "",
        "isBase64Encoded": False,
    }
    if multi:
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        event["multiValueQueryStringParameters"] = query or {}
    else:
        event["headers"] = headers
        event["queryStringParameters"] = query or {}
    return event


def app() -> flask.Flask:
    application = flask.Flask("alb")

    @application.route("/<path:rest>")
    def show(rest: str) -> Any:
        response = flask.jsonify(
            path=flask.request.path,
            query=flask.request.query_string.decode(),
            args=[[k, v] for k, v in flask.request.args.items(multi=True)],
            remote=flask.request.remote_addr,
            url=flask.request.url,
        )
        for name in ("a", "b", "c"):
            response.set_cookie(name, "1")
        return response

    return application


@pytest.fixture
def handler() -> Any:
    return serverless(app())


def test_query_string_is_passed_on_still_encoded_not_double_encoded(handler: Any) -> None:
    # mangum #178: ALB gives "me%40x.com"; decoding once must give "me@x.com".
    answer = handler(alb_event(False, query={"email": "me%40x.com", "q": "a+b"}), None)
    seen = json.loads(answer["body"])
    assert seen["query"] == "email=me%40x.com&q=a+b"
    assert seen["args"] == [["email", "me@x.com"], ["q", "a b"]]
    assert seen["path"] == "/things/a b"


def test_multi_value_mode_answers_in_multi_value_headers(handler: Any) -> None:
    answer = handler(alb_event(True, query={"k": ["1", "2"]}), None)
    assert "headers" not in answer
    assert answer["multiValueHeaders"]["set-cookie"] == [
        "a=1; Path=/",
        "b=1; Path=/",
        "c=1; Path=/",
    ]
    assert json.loads(answer["body"])["args"] == [["k", "1"], ["k", "2"]]
    assert answer["statusDescription"] == "200 OK"


def test_single_value_mode_answers_in_headers_with_case_varied_cookies(
    handler: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from faasgi import logs

    logs._warned.discard("alb-single-cookies")
    with caplog.at_level(logging.WARNING, logger="faasgi"):
        answer = handler(alb_event(False), None)
        handler(alb_event(False), None)
    assert "multiValueHeaders" not in answer
    cookie_keys = [k for k in answer["headers"] if k.lower() == "set-cookie"]
    assert len(cookie_keys) == 3 and len(set(cookie_keys)) == 3
    assert sorted(answer["headers"][k] for k in cookie_keys) == [
        "a=1; Path=/",
        "b=1; Path=/",
        "c=1; Path=/",
    ]
    warnings = [r for r in caplog.records if "multi-value headers" in r.getMessage()]
    assert len(warnings) == 1  # once per process, not per invocation


def test_client_is_the_last_x_forwarded_for_entry(handler: Any) -> None:
    answer = handler(alb_event(False, xff="10.0.0.1, 198.51.100.77"), None)
    assert json.loads(answer["body"])["remote"] == "198.51.100.77"


def test_scheme_and_port_come_from_forwarded_headers(handler: Any) -> None:
    answer = handler(alb_event(False), None)
    assert json.loads(answer["body"])["url"].startswith("https://lb.example.com/things/")


def test_status_description_carries_the_reason_phrase() -> None:
    application = flask.Flask("teapot")
    application.add_url_rule("/<path:p>", "t", lambda p: ("no", 418))
    answer = serverless(application)(alb_event(False), None)
    assert answer["statusDescription"] == "418 I'm a Teapot"


def test_event_mixing_multi_value_headers_and_a_single_value_query_keeps_its_query(
    handler: Any,
) -> None:
    event = alb_event(True)
    del event["multiValueQueryStringParameters"]
    event["queryStringParameters"] = {"q": "a%2Bb", "s": "a+b"}
    result = json.loads(handler(event, None)["body"])
    assert result["args"] == [["q", "a+b"], ["s", "a b"]]  # values still encoded, decoded once


def test_path_arrives_encoded_and_is_decoded_once(handler: Any) -> None:
    event = alb_event(False)
    event["path"] = "/things/100%25/a%2Bb"
    assert json.loads(handler(event, None)["body"])["path"] == "/things/100%/a+b"
