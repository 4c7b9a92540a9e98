"""`faasgi.custom_runtime` streams a function in RESPONSE_STREAM mode with chunked encoding,
as FC's web functions allow: over real HTTP on loopback, each chunk arrives when the app
produces it, and the work after the response runs once the client has the whole answer.
Bodies are checked against Flask's and Starlette's own test clients."""

from __future__ import annotations

import asyncio
import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.test import Client

from faasgi import serverless
from faasgi.custom_runtime import make_server
from tests.local.apps.feed import app as feed_app

TOKENS = "/tokens?prompt=hi&count=4&delay=0.4"


@contextmanager
def serving(handler: Any) -> Iterator[str]:
    server = make_server(handler, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        handler.shutdown()


def timed_get(url: str) -> tuple[httpx.Response, list[tuple[float, bytes]]]:
    with httpx.stream("GET", url, timeout=30) as response:
        pieces = [(time.monotonic(), piece) for piece in response.iter_raw()]
    return response, pieces


def asgi_body(app: Any, path: str) -> bytes:
    async def get() -> bytes:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return (await client.get(path)).content

    return asyncio.run(get())


def test_the_flask_token_feed_streams_chunk_by_chunk() -> None:
    from examples.streaming.flask_app import create_app, handler

    expected = create_app().test_client().get(TOKENS).get_data()
    with serving(handler) as url:
        response, pieces = timed_get(url + TOKENS)

    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers
    assert response.headers["content-type"].startswith("text/event-stream")
    assert b"".join(piece for _, piece in pieces) == expected
    assert len(pieces) >= 3
    assert pieces[-1][0] - pieces[0][0] >= 0.8  # three 0.4 s pauses after the first token


def test_the_fastapi_token_feed_streams_and_its_background_task_runs_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from examples.streaming.fastapi_app import create_app, handler

    log = tmp_path / "after.log"
    expected = asgi_body(create_app(), TOKENS)
    monkeypatch.setenv("STREAMING_AFTER_LOG", str(log))
    with serving(handler) as url:
        _, pieces = timed_get(url + TOKENS)
        answered = time.time()
        assert not log.exists()  # the client has the whole answer before the task is done
        deadline = time.monotonic() + 20
        while not log.exists():
            assert time.monotonic() < deadline, "the background task never ran"
            time.sleep(0.05)

    assert b"".join(piece for _, piece in pieces) == expected
    assert pieces[-1][0] - pieces[0][0] >= 0.8
    assert float(log.read_text().split()[0]) > answered - 0.05


def test_a_buffered_function_answers_whole_with_a_content_length() -> None:
    expected = Client(feed_app).get("/feed?count=3").get_data()
    with serving(serverless(feed_app)) as url:
        response = httpx.get(url + "/feed?count=3", timeout=30)

    assert response.headers["content-length"] == str(len(expected))
    assert response.content == expected


def test_an_error_after_the_first_byte_cuts_the_answer_and_the_server_goes_on() -> None:
    received: list[bytes] = []
    with serving(serverless(feed_app, invoke_mode="RESPONSE_STREAM")) as url:
        with httpx.stream("GET", url + "/broken", timeout=30) as response:
            status = response.status_code
            try:
                received.extend(response.iter_raw())
            except httpx.RemoteProtocolError:
                received.append(b"<cut>")
        after = httpx.get(url + "/feed?count=2", timeout=30)

    assert status == 200
    assert b"".join(received) == b"first\n<cut>"
    assert after.content == b"chunk 0\nchunk 1\n"


def test_a_connection_is_kept_alive_across_streamed_answers_and_head_has_no_body() -> None:
    with serving(serverless(feed_app, invoke_mode="RESPONSE_STREAM")) as url:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
        answers = []
        for method in ("GET", "HEAD", "GET"):
            connection.request(method, "/feed?count=2")
            response = connection.getresponse()
            answers.append((response.status, response.getheader("content-length"), response.read()))
        connection.close()

    assert answers == [
        (200, None, b"chunk 0\nchunk 1\n"),
        (200, "0", b""),
        (200, None, b"chunk 0\nchunk 1\n"),
    ]
