"""The gateway in-process: HTTP request -> the source's platform event -> the function
(here called in this process, through the instance runtime) -> the answer decoded as the
platform decodes it. Every source the emulator offers, against the Flask echo app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from faasgi import serverless
from faasgi.function import Handler
from faasgi.http import Request
from faasgi.local.frames import RESULT
from faasgi.local.gateway import Gateway, log_line
from faasgi.local.pool import Outcome
from faasgi.local.serve import SOURCES
from faasgi.local.worker import Runtime
from tests.apps import PNG, make_flask_app


class InProcess:
    """An invoker that runs the handler here, as an instance process would."""

    def __init__(self, handler: Any, source: str) -> None:
        self.runtime = Runtime(handler, source, timeout=60)
        self.events: list[Any] = []

    async def invoke(self, request_id: str, event: bytes) -> Outcome:
        self.events.append(json.loads(event))
        frames: list[tuple[int, bytes, bytes]] = []
        self.runtime.invoke(request_id.encode(), event, lambda *frame: frames.append(frame))
        kind, meta, answer = frames[0]
        failure = None if kind == RESULT else "error"
        return Outcome("i-0001", len(self.events) == 1, 1.0, float(meta), 0.0, answer, failure)


class Fixed:
    """An invoker whose every invocation ends the same way."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome

    async def invoke(self, request_id: str, event: bytes) -> Outcome:
        return self.outcome


@pytest.fixture(scope="module")
def echo() -> Iterator[Handler]:
    handler = serverless(make_flask_app())
    yield handler
    handler.shutdown()


def call(gateway: Gateway, method: str, path: str, **options: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=gateway, client=("192.0.2.10", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000") as c:
            return await c.request(method, path, **options)

    return asyncio.run(send())


@pytest.mark.parametrize("source", list(SOURCES))
def test_a_request_reaches_the_app_through_each_sources_event(echo: Handler, source: str) -> None:
    invoker = InProcess(echo, source)
    gateway = Gateway(invoker, source)

    response = call(
        gateway,
        "POST",
        "/items/a%20b?page=2&tag=x",
        content=b"hello",
        headers={"x-test-one": "1", "content-type": "text/plain", "cookie": "a=1; b=2"},
    )

    seen = response.json()
    assert response.status_code == 200
    assert seen["method"] == "POST"
    assert seen["path"] == "/items/a b"
    assert ["page", "2"] in seen["args"] and ["tag", "x"] in seen["args"]
    assert ["x-test-one", "1"] in seen["headers"]
    assert seen["cookies"] == {"a": "1", "b": "2"}
    assert seen["body"]["text"] == "hello"
    # The front adds X-Forwarded-Proto/Port: the app builds URLs for this server.
    assert seen["url"].startswith("http://127.0.0.1:3000/items/a%20b?")
    assert response.headers["x-faasgi-instance"] == "i-0001"
    assert response.headers["x-faasgi-cold"] == "1"


@pytest.mark.parametrize("source", list(SOURCES))
def test_binary_bodies_and_repeated_cookies_come_back_intact(echo: Handler, source: str) -> None:
    gateway = Gateway(InProcess(echo, source), source)

    image = call(gateway, "GET", "/?do=binary")
    cookies = call(gateway, "GET", "/?cookies=2")
    compressed = call(gateway, "GET", "/?do=gzip")

    assert image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-length"] == str(len(PNG))
    both = ["c0=v0; HttpOnly; Path=/", "c1=v1; HttpOnly; Path=/"]
    # FC 3.0's HTTP trigger takes one value per header: the emulator shows that loss too.
    expected = both[1:] if source == "fc-http" else both
    assert sorted(cookies.headers.get_list("set-cookie")) == expected
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.json() == {"compressed": True}  # httpx undid the app's gzip


def test_the_event_is_the_platforms_with_a_request_id_and_the_clients_address(
    echo: Handler,
) -> None:
    invoker = InProcess(echo, "aws-http")
    gateway = Gateway(invoker, "aws-http")

    response = call(gateway, "GET", "/")

    event = invoker.events[0]
    assert response.status_code == 200
    assert event["version"] == "2.0"
    assert event["requestContext"]["http"]["sourceIp"] == "192.0.2.10"
    assert len(event["requestContext"]["requestId"]) == 36
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-forwarded-port"] == "3000"


def test_a_head_request_gets_headers_and_no_body(echo: Handler) -> None:
    gateway = Gateway(InProcess(echo, "aws-http"), "aws-http")

    response = call(gateway, "HEAD", "/")

    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    ("failure", "status", "message"),
    [
        ("timeout", 504, "Endpoint request timed out"),
        ("crash", 502, "Internal server error"),
        ("init", 502, "Internal server error"),
        ("throttled", 429, "Too Many Requests"),
        ("stopped", 503, "Service Unavailable"),
    ],
)
def test_a_failed_invocation_answers_as_the_platforms_front_does(
    failure: str, status: int, message: str
) -> None:
    outcome = Outcome("i-0002", False, None, 0.0, 0.0, b"", failure)

    response = call(Gateway(Fixed(outcome), "aws-http"), "GET", "/")

    assert response.status_code == status
    assert response.json() == {"message": message}
    assert response.headers["x-faasgi-error"] == failure


def test_an_answer_the_platform_cannot_read_is_a_502() -> None:
    outcome = Outcome("i-0003", False, None, 1.0, 0.0, b'"just a string"')

    response = call(Gateway(Fixed(outcome), "alb"), "GET", "/")

    assert response.status_code == 502
    assert response.headers["x-faasgi-error"] == "answer"
    assert "not a valid alb answer" in outcome.detail


def test_the_log_line_names_the_instance_its_temperature_and_the_timings() -> None:
    request = Request("GET", b"/todos", "page=2", [], b"", raw_path="/todos")
    cold = Outcome("i-3f2a", True, 153.24, 12.44, 0.2, b"{}")
    queued = Outcome("i-3f2a", False, None, 0.84, 812.0, b"{}")
    timed_out = Outcome("i-3f2a", False, None, 2000.0, 0.0, failure="timeout")

    assert log_line(request, 200, cold, 0.0) == (
        "GET /todos?page=2 200 i-3f2a cold init=153.2ms duration=12.4ms"
    )
    assert log_line(request, 200, queued, 0.0) == (
        "GET /todos?page=2 200 i-3f2a warm init=- duration=0.8ms queued=812ms"
    )
    assert log_line(request, 504, timed_out, 0.0).endswith("duration=2000.0ms error=timeout")
