"""`faasgi serve` streams: over real HTTP on loopback, each chunk reaches the client when
the app produces it (not when the function ends), for a function in RESPONSE_STREAM mode
behind a source the platform streams; buffered functions and sources answer whole, with
a Content-Length, as before. Bodies are checked against Werkzeug's test client."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from werkzeug.test import Client

from faasgi.testing.emulator import Emulator
from tests.local.apps.feed import app as feed_app

pytestmark = pytest.mark.slow

Serve = Callable[..., Emulator]
STREAM = {"FAASGI_INVOKE_MODE": "RESPONSE_STREAM"}
URL = ("--source", "function-url")


def timed_get(url: str) -> tuple[httpx.Response, list[tuple[float, bytes]]]:
    """The response and each piece of its body with the time it arrived."""
    with httpx.stream("GET", url, timeout=60) as response:
        pieces = [(time.monotonic(), piece) for piece in response.iter_raw()]
    return response, pieces


def cut_short(url: str) -> tuple[int, bytes]:
    """Status and what arrived of a body that never ends properly (the connection closes
    before the last chunk: httpx raises)."""
    received: list[bytes] = []
    with httpx.stream("GET", url, timeout=60) as response:
        try:
            received.extend(response.iter_raw())
        except httpx.RemoteProtocolError:
            return response.status_code, b"".join(received)
    raise AssertionError(f"the body ended properly: {b''.join(received)!r}")


def body_of(pieces: list[tuple[float, bytes]]) -> bytes:
    return b"".join(piece for _, piece in pieces)


def expected(path: str) -> bytes:
    return Client(feed_app).get(path).get_data()


def test_a_streaming_function_s_chunks_arrive_one_by_one(serve: Serve) -> None:
    emulator = serve("feed", *URL, env=STREAM)

    response, pieces = timed_get(emulator.url + "/feed?count=4&delay=0.4")

    assert response.status_code == 200
    assert "content-length" not in response.headers
    assert response.headers["transfer-encoding"] == "chunked"
    assert body_of(pieces) == expected("/feed?count=4&delay=0.4")
    # Buffered, the body would arrive in one go at the end; streamed, the first chunk is
    # there while the app still sleeps three times 0.4 s before its last one.
    assert pieces[-1][0] - pieces[0][0] >= 0.8
    assert len(pieces) >= 3
    # Headers as a Function URL passes them: both cookies, the app's content type.
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["content-type"] == "text/plain"
    emulator.wait_for(r"GET /feed\?count=4&delay=0.4 200 i-\w+ cold .*duration=")


def test_a_buffered_function_answers_whole_with_a_content_length(serve: Serve) -> None:
    emulator = serve("feed", *URL)

    response, pieces = timed_get(emulator.url + "/feed?count=4&delay=0.3")

    assert response.headers["content-length"] == str(len(expected("/feed?count=4")))
    assert body_of(pieces) == expected("/feed?count=4")
    assert pieces[-1][0] - pieces[0][0] < 0.5  # all at once, after the app finished


@pytest.mark.parametrize("source", ["aws-http", "alb"])
def test_http_api_and_alb_answers_are_never_streamed(serve: Serve, source: str) -> None:
    # Neither can stream (API Gateway's response transfer mode page: REST APIs only).
    emulator = serve("feed", "--source", source, env=STREAM)

    response = httpx.get(emulator.url + "/feed?count=3", timeout=60)

    assert response.headers["content-length"] == str(len(expected("/feed?count=3")))
    assert response.content == expected("/feed?count=3")


@pytest.mark.parametrize("source", ["aws-rest", "fc-http"])
def test_rest_and_fc_answers_stream_too(serve: Serve, source: str) -> None:
    emulator = serve("feed", "--source", source, env=STREAM)

    response, pieces = timed_get(emulator.url + "/feed?count=3&delay=0.5")

    assert "content-length" not in response.headers
    assert body_of(pieces) == expected("/feed?count=3")
    assert pieces[-1][0] - pieces[0][0] >= 0.5
    assert sorted(response.headers.get_list("set-cookie")) == ["a=1", "b=2"]


def test_an_error_after_the_first_byte_cuts_the_stream_short(serve: Serve) -> None:
    emulator = serve("feed", *URL, env=STREAM)

    status, received = cut_short(emulator.url + "/broken")

    assert status == 200  # already sent when the app failed
    assert received == b"first\n"
    emulator.wait_for(r"GET /broken 200 i-\w+ .*error=error \(the app failed after the first")
    # The instance survives its app's error: the next request is served warm.
    assert httpx.get(emulator.url + "/feed?count=1", timeout=60).headers["x-faasgi-cold"] == "0"


def test_a_stream_that_outlives_the_timeout_is_cut_and_its_instance_killed(
    serve: Serve,
) -> None:
    emulator = serve("feed", *URL, "--timeout", "1.5", env=STREAM)

    status, received = cut_short(emulator.url + "/feed?count=10&delay=0.5")

    assert status == 200
    assert received.startswith(b"chunk 0\n")
    emulator.wait_for(r"GET /feed\S* 200 i-\w+ .*error=timeout")
    assert httpx.get(emulator.url + "/feed?count=1", timeout=60).headers["x-faasgi-cold"] == "1"


@pytest.mark.parametrize("mode", [STREAM, {}])
def test_work_after_the_response_runs_after_the_client_has_its_answer(
    serve: Serve, tmp_path: Path, mode: dict[str, str]
) -> None:
    log = tmp_path / "after.log"
    emulator = serve("feed", *URL, env={**mode, "AFTER_LOG": str(log)})

    response = httpx.get(emulator.url + "/after", timeout=60)
    answered = time.time()

    assert response.text == "answered"
    assert not log.exists()  # the client has the whole answer; the work has not ended
    deadline = time.monotonic() + 30
    while not log.exists():
        assert time.monotonic() < deadline, "the work after the response never ran"
        time.sleep(0.05)
    assert float(log.read_text().split()[0]) > answered - 0.05
