"""The emulator's front for streamed answers, in-process: the head read as Lambda reads its
streaming prelude, chunks forwarded as they come, and Lambda's streamed-size limit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from faasgi.local.calls import Call
from faasgi.local.frames import CHUNK, DONE, END, START
from faasgi.local.gateway import Gateway
from faasgi.local.pool import Outcome
from faasgi.local.streamed import forward as forward_stream
from faasgi.local.streamed import head_response


class Never:
    async def invoke(self, request_id: str, event: bytes) -> Outcome:
        raise AssertionError("not invoked in these tests")


def test_a_function_url_prelude_gives_headers_and_one_set_cookie_per_cookie() -> None:
    # The shape of aws-lambda-go's LambdaFunctionURLStreamingResponse.
    prelude = {"statusCode": 201, "headers": {"Content-Type": "text/plain"}, "cookies": ["a=1"]}

    response = head_response(json.dumps(prelude).encode())

    assert response.status == 201
    assert response.headers == [("content-type", "text/plain"), ("set-cookie", "a=1")]


def test_a_rest_prelude_s_multi_value_headers_win_over_its_headers() -> None:
    prelude = {
        "statusCode": 200,
        "headers": {"x-one": "folded", "x-only": "1"},
        "multiValueHeaders": {"x-one": ["a", "b"]},
    }

    response = head_response(json.dumps(prelude).encode())

    assert response.headers == [("x-one", "a"), ("x-one", "b"), ("x-only", "1")]


def forward(chunks: list[bytes], limit: int | None) -> tuple[bool, list[Any], Outcome]:
    async def run() -> tuple[bool, list[Any], Outcome]:
        call = Call()
        call.feed(START, b"", b'{"statusCode":200,"headers":{}}')
        outcome = Outcome("i-1", False, None, 0.0, 0.0, b"{}", stream=call)
        sent: list[Any] = []

        async def send(message: Any) -> None:
            sent.append(message)

        forwarding = asyncio.ensure_future(forward_stream(outcome, send, False, limit))
        for chunk in chunks:
            call.feed(CHUNK, b"", chunk)
            await asyncio.sleep(0)
        call.feed(END, b"12.5", b"")
        call.feed(DONE, b"13.0", b"")
        return await forwarding, sent, outcome

    return asyncio.run(run())


def test_chunks_are_forwarded_one_message_each_then_the_end() -> None:
    ok, sent, outcome = forward([b"one", b"two"], None)

    assert ok
    assert [(m["body"], m.get("more_body", False)) for m in sent] == [
        (b"one", True),
        (b"two", True),
        (b"", False),
    ]
    assert outcome.duration_ms == 12.5


def test_a_stream_over_the_limit_is_cut_where_it_passes_it() -> None:
    ok, sent, outcome = forward([b"12345", b"67890", b"x"], 10)

    assert not ok
    assert [m["body"] for m in sent] == [b"12345", b"67890"]  # no end: the client sees a cut
    assert outcome.failure == "too-large"
    assert "10 bytes" in outcome.detail


def test_lambda_s_streamed_limit_is_200_mib_and_fc_has_none() -> None:
    assert Gateway(Never(), "aws-http").stream_limit == 200 * 1024 * 1024
    assert Gateway(Never(), "fc-http").stream_limit is None


def test_the_invoke_api_returns_a_streamed_answer_as_its_runtime_posted_it() -> None:
    # Prelude, 8 NULs, body: the body of a streamed /response (runtimes-custom.html).
    from faasgi.local.invoke_api import InvokeApi

    class Streaming:
        async def invoke(self, request_id: str, event: bytes) -> Outcome:
            call = Call()
            call.feed(START, b"", b'{"statusCode":200}')
            for chunk in (b"one ", b"two"):
                call.feed(CHUNK, b"", chunk)
            call.feed(END, b"1.0", b"")
            call.feed(DONE, b"1.0", b"")
            return Outcome("i-1", False, None, 1.0, 0.0, b'{"statusCode":200}', stream=call)

    scope = {"path": "/2015-03-31/functions/feed/invocations", "method": "POST", "headers": []}

    status, _, payload = asyncio.run(InvokeApi({"feed": Streaming()}).answer(scope, b"{}"))

    assert (status, payload) == (200, b'{"statusCode":200}' + b"\x00" * 8 + b"one two")
