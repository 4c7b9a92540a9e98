"""The instance runtime: what the platform's runtime does around the handler (the event
as JSON or FC's bytes, the context, serialising the answer, Lambda's error shape) and the
table declaration an app makes at its cold start."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from faasgi.contexts import FCContext, LambdaContext
from faasgi.local.frames import DONE, ERROR, RESULT
from faasgi.local.worker import Runtime, declared_tables


def answer_of(runtime: Runtime, meta: bytes, body: bytes) -> tuple[int, bytes, bytes]:
    """The answer frame of one invocation, checking that DONE ends it."""
    frames: list[tuple[int, bytes, bytes]] = []
    runtime.invoke(meta, body, lambda *frame: frames.append(frame))
    assert [kind for kind, _, _ in frames] == [frames[0][0], DONE]
    return frames[0]


def recording(answer: Any = None) -> tuple[list[Any], Any]:
    calls: list[Any] = []

    def handler(event: Any, context: Any) -> Any:
        calls.append((event, context))
        return {"statusCode": 200} if answer is None else answer

    return calls, handler


def test_lambda_handlers_get_the_event_parsed_and_a_lambda_context() -> None:
    calls, handler = recording()

    kind, duration, answer = answer_of(Runtime(handler, "aws-http", 2.5), b"req-1", b'{"a": 1}')

    event, context = calls[0]
    assert (kind, json.loads(answer)) == (RESULT, {"statusCode": 200})
    assert float(duration) >= 0
    assert event == {"a": 1}
    assert isinstance(context, LambdaContext)
    assert context.aws_request_id == "req-1"
    assert 0 < context.get_remaining_time_in_millis() <= 2500


def test_fc_handlers_get_the_event_as_bytes_and_an_fc_context() -> None:
    calls, handler = recording()

    answer_of(Runtime(handler, "fc-http", 7), b"req-2", b'{"a": 1}')

    event, context = calls[0]
    assert event == b'{"a": 1}'
    assert isinstance(context, FCContext)
    assert (context.request_id, context.function.timeout) == ("req-2", 7)


def test_an_exception_is_answered_in_lambdas_error_shape() -> None:
    def handler(event: Any, context: Any) -> Any:
        raise KeyError("missing")

    kind, _, answer = answer_of(Runtime(handler, "aws-http", 1), b"r", b"{}")

    error = json.loads(answer)
    assert kind == ERROR
    assert (error["errorType"], error["errorMessage"]) == ("KeyError", "'missing'")
    assert any("raise KeyError" in line for line in error["stackTrace"])


def test_an_answer_that_is_not_json_is_an_error_as_on_the_platform() -> None:
    _, handler = recording({"body": object()})

    kind, _, answer = answer_of(Runtime(handler, "aws-http", 1), b"r", b"{}")

    assert kind == ERROR
    assert json.loads(answer)["errorType"] == "TypeError"


def test_tables_are_whatever_faasgi_tables_returns() -> None:
    request = {"TableName": "other", "KeySchema": []}
    module = SimpleNamespace(faasgi_tables=lambda: ("todos", request))

    assert declared_tables(module) == ["todos", request]
    assert declared_tables(SimpleNamespace()) == []


@pytest.mark.parametrize("hook", ["todos", lambda: [3]])
def test_a_malformed_tables_hook_is_named(hook: Any) -> None:
    with pytest.raises(TypeError, match="faasgi_tables"):
        declared_tables(SimpleNamespace(faasgi_tables=hook))
