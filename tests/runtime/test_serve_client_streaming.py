"""`faasgi serve --runtime-client faasgi` streams: a function in RESPONSE_STREAM mode posts
its answer to its instance's Runtime API chunk by chunk (faasgi.runtime), and each chunk
reaches the HTTP client as it arrives — for the sources Lambda streams only. Bodies are
checked against Werkzeug's test client."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from werkzeug.test import Client

from faasgi.testing.emulator import Emulator
from tests.local.apps.feed import app as feed_app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
STREAM = {"FAASGI_INVOKE_MODE": "RESPONSE_STREAM"}


def serve(*options: str, **env: str) -> Emulator:
    return Emulator(
        "tests.local.apps.feed:handler",
        "--runtime-client",
        "faasgi",
        "--no-dynamodb",
        *options,
        cwd=str(ROOT),
        env={**STREAM, **env},
    )


def expected(path: str) -> bytes:
    return Client(feed_app).get(path).get_data()


@pytest.mark.parametrize("source", ["function-url", "aws-rest"])
def test_chunks_arrive_one_by_one_where_lambda_streams(source: str) -> None:
    path = "/feed?count=4&delay=0.4"
    with (
        serve("--source", source) as emulator,
        httpx.stream("GET", emulator.url + path, timeout=60) as answer,
    ):
        pieces = [(time.monotonic(), piece) for piece in answer.iter_raw()]
    assert answer.status_code == 200
    assert "content-length" not in answer.headers
    assert b"".join(piece for _, piece in pieces) == expected("/feed?count=4&delay=0.4")
    # Buffered, it would all arrive at the end; streamed, the first chunk is there while
    # the app still sleeps three times 0.4 s.
    assert pieces[-1][0] - pieces[0][0] >= 0.8
    assert sorted(answer.headers.get_list("set-cookie")) == ["a=1", "b=2"]
    assert answer.headers["content-type"] == "text/plain"


def test_an_http_apis_answer_stays_whole() -> None:
    # HTTP APIs cannot stream (API Gateway's response transfer mode page: REST APIs only).
    with serve("--source", "aws-http") as emulator:
        answer = httpx.get(emulator.url + "/feed?count=3", timeout=60)
    assert answer.headers["content-length"] == str(len(expected("/feed?count=3")))
    assert answer.content == expected("/feed?count=3")


def test_an_error_after_the_first_byte_cuts_the_stream_short() -> None:
    received: list[bytes] = []
    with serve("--source", "function-url") as emulator:
        with (
            httpx.stream("GET", emulator.url + "/broken", timeout=60) as answer,
            pytest.raises(httpx.RemoteProtocolError),
        ):
            received.extend(answer.iter_raw())
        emulator.wait_for(r"GET /broken 200 i-\w+ .*error=error \(the app failed after the first")
        # The runtime survives its app's error: the next request is served warm.
        after = httpx.get(emulator.url + "/feed?count=1", timeout=60)
    assert answer.status_code == 200
    assert b"".join(received) == b"first\n"
    assert after.headers["x-faasgi-cold"] == "0"


def test_work_after_the_response_runs_after_the_client_has_its_answer(tmp_path: Path) -> None:
    log = tmp_path / "after.log"
    with serve("--source", "function-url", "--max-instances", "1", AFTER_LOG=str(log)) as emulator:
        answer = httpx.get(emulator.url + "/after", timeout=60)
        answered = time.time()
        assert answer.text == "answered"
        assert not log.exists()  # the client has its answer; the work has not ended
        # One instance: the next request waits until the runtime asks for its next event,
        # after the work after the response.
        httpx.get(emulator.url + "/feed?count=1", timeout=60)
        assert log.exists()
    assert float(log.read_text().split()[0]) > answered - 0.05
