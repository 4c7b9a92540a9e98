"""The response model (sinks.py, http.Reply): runners hand over status, headers and each
body chunk as the app produces it; work after the response runs after the sink is done."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response, stream_with_context
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

import faasgi
from faasgi import serverless
from faasgi.contexts import LambdaContext
from faasgi.events import builder
from faasgi.sinks import Sink
from faasgi.testing import FaasClient


class Recorder(Sink):
    """A streaming sink that writes down what happened, in order."""

    delivers_early = True

    def __init__(self, handler: Any, log: list[str]) -> None:
        super().__init__(handler.codec)
        self.log = log
        self.status = 0
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []

    def http(self, reply: Any, source: Any, event: Any) -> Any:
        self.status = reply.status
        self.headers = dict(reply.headers)
        self.log.append("start")
        for chunk in reply.chunks():
            self.log.append("delivered " + chunk.decode())
            self.chunks.append(chunk)
        self.log.append("done")
        return "answer"


@pytest.fixture
def handlers() -> Iterator[list[Any]]:
    made: list[Any] = []
    yield made
    for handler in made:
        handler.shutdown()


def invoke(handler: Any, sink: Sink, path: str = "/", method: str = "GET", **context: Any) -> Any:
    client = FaasClient(handler)
    _, build = builder("aws-http")
    event = build(client.build_request(method, path), client.stamp())
    return handler.invoke(event, LambdaContext(**context), sink)


def starlette_stream(log: list[str]) -> Starlette:
    async def tokens() -> Any:
        for word in ("a", "b", "c"):
            log.append("produced " + word)
            yield word.encode()
            await asyncio.sleep(0.01)  # a token feed waits between tokens

    async def stream(request: Any) -> StreamingResponse:
        return StreamingResponse(
            tokens(),
            media_type="text/event-stream",
            background=BackgroundTask(lambda: log.append("background")),
        )

    return Starlette(routes=[Route("/", stream)])


def test_asgi_chunks_reach_the_sink_as_the_app_sends_them(handlers: list[Any]) -> None:
    log: list[str] = []
    handler = serverless(starlette_stream(log))
    handlers.append(handler)
    sink = Recorder(handler, log)
    assert invoke(handler, sink) == "answer"
    # The app runs until it first waits, so "a" exists before the sink starts.
    assert log == [
        "produced a",
        "start",
        "delivered a",
        "produced b",
        "delivered b",
        "produced c",
        "delivered c",
        "done",
        "background",
    ]
    assert sink.status == 200
    assert sink.headers["content-type"].startswith("text/event-stream")


def test_wsgi_generator_items_reach_the_sink_one_by_one_then_close(
    handlers: list[Any],
) -> None:
    log: list[str] = []
    app = Flask(__name__)

    @app.get("/")
    def stream() -> Response:
        def tokens() -> Iterator[str]:
            for word in ("a", "b"):
                log.append("produced " + word)
                yield word

        response = Response(stream_with_context(tokens()), mimetype="text/plain")
        response.call_on_close(lambda: log.append("closed"))
        return response

    handler = serverless(app)
    handlers.append(handler)
    invoke(handler, Recorder(handler, log))
    assert log == [
        "produced a",
        "start",
        "delivered a",
        "produced b",
        "delivered b",
        "done",
        "closed",
    ]


def test_buffered_answer_is_unchanged_and_background_runs_before_it_returns(
    handlers: list[Any],
) -> None:
    log: list[str] = []
    handler = serverless(starlette_stream(log))
    handlers.append(handler)
    response = FaasClient(handler).get("/")
    assert response.status == 200
    assert response.text == "abc"
    assert log[-1] == "background"


def test_after_response_runs_after_the_sink_for_wsgi_and_asgi(handlers: list[Any]) -> None:
    log: list[str] = []
    flask = Flask(__name__)

    @flask.get("/")
    def index() -> str:
        faasgi.after_response(log.append, "after flask")
        return "x"

    async def later() -> None:
        await asyncio.sleep(0)
        log.append("after starlette")

    async def page(request: Any) -> PlainTextResponse:
        faasgi.after_response(later)
        return PlainTextResponse("y")

    for app in (flask, Starlette(routes=[Route("/", page)])):
        handler = serverless(app)
        handlers.append(handler)
        invoke(handler, Recorder(handler, log))
    assert log == [
        "start",
        "delivered x",
        "done",
        "after flask",
        "start",
        "delivered y",
        "done",
        "after starlette",
    ]


def test_after_response_outside_an_invocation_says_so() -> None:
    with pytest.raises(faasgi.OutsideInvocation):
        faasgi.after_response(print)


def test_work_after_the_response_is_cut_at_the_deadline(
    handlers: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    log: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(30)
        log.append("finished")

    async def page(request: Any) -> PlainTextResponse:
        return PlainTextResponse("y", background=BackgroundTask(slow))

    handler = serverless(Starlette(routes=[Route("/", page)]))
    handlers.append(handler)
    started = time.monotonic()
    invoke(handler, Recorder(handler, log), timeout_s=0.5)
    assert time.monotonic() - started < 10
    assert "finished" not in log
    assert "work after the response was cut" in caplog.text


def test_a_failure_mid_body_gives_a_500_when_buffered(handlers: list[Any]) -> None:
    async def broken() -> Any:
        yield b"partial"
        raise RuntimeError("boom")

    async def page(request: Any) -> StreamingResponse:
        return StreamingResponse(broken())

    handler = serverless(Starlette(routes=[Route("/", page)]))
    handlers.append(handler)
    response = FaasClient(handler).get("/")
    assert response.status == 500
    assert "partial" not in response.text


def test_a_failure_mid_body_raises_from_the_chunks(handlers: list[Any]) -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"one"
        raise RuntimeError("boom")

    handler = serverless(app)
    handlers.append(handler)
    log: list[str] = []
    with pytest.raises(RuntimeError, match="boom"):
        invoke(handler, Recorder(handler, log))
    assert log == ["start", "delivered one"]


def test_head_drains_the_body_but_sends_none(handlers: list[Any]) -> None:
    log: list[str] = []
    handler = serverless(starlette_stream(log))
    handlers.append(handler)
    sink = Recorder(handler, log)
    invoke(handler, sink, method="HEAD")
    assert sink.chunks == []
    assert "produced c" in log


def test_fc_wsgi_calls_stream_through_a_sink_too(handlers: list[Any]) -> None:
    from faasgi.contexts import FCContext
    from faasgi.testing import fc_wsgi_environ

    log: list[str] = []
    handler = serverless(starlette_stream(log))
    handlers.append(handler)
    client = FaasClient(handler, "fc-wsgi")
    environ = fc_wsgi_environ(client.build_request("GET", "/"), FCContext())
    sink = Recorder(handler, log)
    assert handler(environ, lambda *args: None, sink) == "answer"
    assert sink.chunks == [b"a", b"b", b"c"]
    assert log[-2:] == ["done", "background"]
