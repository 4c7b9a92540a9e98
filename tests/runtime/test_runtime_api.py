"""The local Runtime API server answers protocol mistakes with the status codes and error
names of AWS's Runtime Interface Emulator (internal/lambda/rapi), and /next exactly as
awslambdaric needs it."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from faasgi.local.runtime_api import MAX_RESPONSE_BYTES, RuntimeAPIServer

BASE = "/2018-06-01/runtime"


@pytest.fixture
def server() -> Iterator[RuntimeAPIServer]:
    with RuntimeAPIServer(timeout=30) as started:
        yield started


def call(
    server: RuntimeAPIServer, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    try:
        connection.request(method, path, body, {k.replace("_", "-"): v for k, v in headers.items()})
        answer = connection.getresponse()
        return answer.status, answer.headers, answer.read()
    finally:
        connection.close()


def next_event(server: RuntimeAPIServer) -> tuple[http.client.HTTPMessage, bytes]:
    status, headers, body = call(server, "GET", BASE + "/invocation/next")
    assert status == 200
    return headers, body


def test_next_hands_over_the_event_with_exactly_application_json(
    server: RuntimeAPIServer,
) -> None:
    pending = server.submit({"a": 1}, trace_id="Root=1-abc")
    headers, body = next_event(server)
    assert headers["Content-Type"] == "application/json"
    assert headers["Lambda-Runtime-Aws-Request-Id"] == pending.request_id
    assert headers["Lambda-Runtime-Trace-Id"] == "Root=1-abc"
    assert int(headers["Lambda-Runtime-Deadline-Ms"]) > 0
    assert headers["Lambda-Runtime-Invoked-Function-Arn"].startswith("arn:aws:lambda:")
    assert "Lambda-Runtime-Client-Context" not in headers  # only when there is one
    assert json.loads(body) == {"a": 1}


def park(server: RuntimeAPIServer) -> None:
    """A runtime waiting in /next until the server closes."""
    # The server goes away at the end of the test, as it should: not an error here.
    with contextlib.suppress(http.client.HTTPException, OSError):
        call(server, "GET", BASE + "/invocation/next")


def refusal(answer: tuple[int, Any, bytes]) -> tuple[int, str]:
    status, _, body = answer
    return status, json.loads(body)["errorType"]


def test_protocol_mistakes_get_ries_status_codes(server: RuntimeAPIServer) -> None:
    pending = server.submit({})
    next_event(server)
    response = f"{BASE}/invocation/{pending.request_id}/response"
    assert refusal(call(server, "POST", f"{BASE}/invocation/nope/response", b"{}")) == (
        400,
        "InvalidRequestID",
    )
    # /next while an invocation runs.
    assert refusal(call(server, "GET", BASE + "/invocation/next")) == (
        403,
        "InvalidStateTransition",
    )
    bad_mode = call(server, "POST", response, b"{}", Lambda_Runtime_Function_Response_Mode="x")
    assert refusal(bad_mode) == (400, "InvalidFunctionResponseMode")
    assert call(server, "POST", response, b'{"ok": 1}')[0] == 202
    assert refusal(call(server, "POST", response, b"{}")) == (403, "InvalidStateTransition")
    assert refusal(call(server, "POST", f"{BASE}/invocation/{pending.request_id}/error")) == (
        403,
        "InvalidStateTransition",
    )
    assert pending.outcome.json() == {"ok": 1}


def test_an_answer_over_6_mib_is_refused_with_413(server: RuntimeAPIServer) -> None:
    pending = server.submit({})
    next_event(server)
    path = f"{BASE}/invocation/{pending.request_id}/response"
    status, _, body = call(server, "POST", path, b"x" * (MAX_RESPONSE_BYTES + 1))
    assert (status, json.loads(body)["errorType"]) == (413, "RequestEntityTooLarge")
    assert pending.outcome.error_type == "Function.ResponseSizeTooLarge"


def test_extensions_register_only_during_init_and_never_for_shutdown(
    server: RuntimeAPIServer,
) -> None:
    register = "/2020-01-01/extension/register"
    shutdown = json.dumps({"events": ["SHUTDOWN"]}).encode()
    refused = call(server, "POST", register, shutdown, Lambda_Extension_Name="x")
    assert refusal(refused) == (403, "Extension.InvalidEventType")
    status, headers, body = call(
        server, "POST", register, b'{"events": []}', Lambda_Extension_Name="mine"
    )
    assert status == 200 and headers["Lambda-Extension-Identifier"]
    assert json.loads(body)["functionName"] == server.function_name
    threading.Thread(target=park, args=(server,), daemon=True).start()
    assert server.ready.wait(30)
    late = call(server, "POST", register, b'{"events": []}', Lambda_Extension_Name="late")
    assert refusal(late) == (403, "Extension.RegistrationClosed")
