"""Alibaba FC 3.0 HTTP trigger: events/fc_http.py."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import flask
import pytest

from faasgi import serverless


def app() -> flask.Flask:
    application = flask.Flask("fc")

    @application.route("/", defaults={"rest": ""})
    @application.route("/<path:rest>")
    def show(rest: str) -> Any:
        response = flask.jsonify(
            path=flask.request.path,
            host=flask.request.host,
            host_header=flask.request.headers.get("Host"),
            cookies=flask.request.cookies,
            accept=flask.request.headers.get("accept-encoding"),
            forwarded_tag=flask.request.headers.get("x-forwarded-tag"),
            args=[[k, v] for k, v in flask.request.args.items(multi=True)],
        )
        response.set_cookie("first", "1")
        response.set_cookie("last", "2")
        return response

    return application


@pytest.fixture
def handler() -> Any:
    return serverless(app())


def test_fixture_with_folded_values(handler: Any, events_dir: Path) -> None:
    raw = (events_dir / "alibaba-fc" / "fc3-http-multi-query-and-cookies.json").read_bytes()
    seen = json.loads(handler(raw, None)["body"])
    assert seen["path"] == "/search/café"
    # README: the Cookie header splits on ";" and "," into three cookies.
    assert seen["cookies"] == {"session_id": "8f2c1e9a0b7d", "theme": "dark", "lang": "zh-CN"}
    # No Host header in FC 3.0 events: the host is requestContext.domainName.
    assert seen["host"] == "flask-demo-xqzlvmbnpr.cn-hangzhou.fcapp.run"
    # ...and it is put back as the Host header every HTTP/1.1 request has (RFC 9112 3.2).
    assert seen["host_header"] == "flask-demo-xqzlvmbnpr.cn-hangzhou.fcapp.run"
    assert seen["args"] == [["tag", "python,faas"], ["q", "hello world"], ["empty", ""]]
    assert seen["forwarded_tag"] == "alpha,beta"


def test_go_canonical_header_names_reach_the_app_case_insensitively(
    handler: Any, events_dir: Path
) -> None:
    raw = (events_dir / "alibaba-fc" / "fc3-http-get.json").read_bytes()
    assert json.loads(handler(raw, None)["body"])["accept"] == "gzip, deflate, br"


def test_several_set_cookie_keep_the_last_and_warn_once(
    handler: Any, events_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from faasgi import logs

    logs._warned.discard("fc3-cookies")
    raw = (events_dir / "alibaba-fc" / "fc3-http-get.json").read_bytes()
    with caplog.at_level(logging.WARNING, logger="faasgi"):
        answer = handler(raw, None)
        handler(raw, None)
    assert set(answer) == {"statusCode", "headers", "isBase64Encoded", "body"}
    assert answer["headers"]["set-cookie"] == "last=2; Path=/"
    assert sum("custom runtime" in r.getMessage() for r in caplog.records) == 1


def test_event_may_come_as_bytes_str_or_dict(handler: Any, events_dir: Path) -> None:
    raw = (events_dir / "alibaba-fc" / "fc3-http-get.json").read_bytes()
    answers = [handler(raw, None), handler(raw.decode(), None), handler(json.loads(raw), None)]
    assert {a["body"] for a in answers} == {answers[0]["body"]}


def test_bytes_that_are_not_json_are_an_unsupported_event(handler: Any) -> None:
    from faasgi import UnsupportedEvent

    with pytest.raises(UnsupportedEvent, match="not JSON"):
        handler(b"\x00not json", None)


def test_deeply_nested_json_is_an_unsupported_event_not_a_recursion_error(handler: Any) -> None:
    from faasgi import UnsupportedEvent

    with pytest.raises(UnsupportedEvent, match="not JSON"):
        handler(b"[" * 100_000, None)
