"""A streamed answer from a runtime client, passed on to the emulator as it arrives
(`faasgi serve --runtime-client`, a function in RESPONSE_STREAM mode): the local Runtime
API server hands each HTTP chunk of the runtime's streamed `/response` to this relay,
which sends the streaming prelude as the answer's head (START) the moment its end, the 8
NUL bytes, has arrived, and every byte after it as a CHUNK; the error trailers, if the
runtime sent them, end it as BROKEN, else END. Lambda's wire format:
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html ("Implementing response
streaming in a custom runtime").

As on Lambda, only the answers of a source Lambda can stream are streamed: a Function URL's
(payload 2.0 on a `lambda-url` domain) and a REST API's; an HTTP API's streamed answer is
folded into the buffered answer it stands for
(https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from faasgi.local.frames import BROKEN, CHUNK, DONE, END, ERROR, RESULT, START
from faasgi.local.runtime_api import Outcome, RuntimeAPIServer

#: Between the prelude and the body (aws-lambda-nodejs-runtime-interface-client
#: src/HttpResponseStream.js).
DELIMITER = b"\x00" * 8
ERROR_BODY = "lambda-runtime-function-error-body"
ERROR_TYPE = "lambda-runtime-function-error-type"

#: Writes one frame of the invocation: (kind, meta, body).
Send = Callable[[int, bytes, bytes], None]


def streamable(event: bytes) -> bool:
    """Whether Lambda would stream this event's answer (the emulator's HTTP API events
    carry the local host as their domain, a Function URL's a `lambda-url` one)."""
    try:
        shape = json.loads(event)
    except ValueError:
        return False
    if not isinstance(shape, dict):
        return False
    context = shape.get("requestContext")
    if not isinstance(context, dict):
        return False
    if shape.get("version") == "2.0":
        return ".lambda-url." in str(context.get("domainName") or "")
    # A REST API's (an HTTP API's payload 1.0 says "version": "1.0"; ALB's has no path).
    return "version" not in shape and "httpMethod" in shape and "resourcePath" in context


def buffered_answer(outcome: Outcome) -> bytes:
    """What the handler's answer is as JSON: a streamed answer folded into the shape a
    buffered Function URL answer has."""
    if not outcome.streamed:
        return outcome.body
    prelude, _, body = outcome.body.partition(b"\x00" * 8)
    shape: dict[str, Any] = json.loads(prelude)
    shape["body"] = base64.b64encode(body).decode("ascii")
    shape["isBase64Encoded"] = True
    return json.dumps(shape).encode("utf-8")


class StreamRelay:
    """`on_chunk` for one invocation of the local Runtime API server."""

    def __init__(self, send: Send, enabled: bool) -> None:
        self.send = send
        self.enabled = enabled
        #: Set once the head has gone out: the answer is the stream's from then on.
        self.started = False
        self._held = b""
        self._streamed: Callable[[], bool] = lambda: False
        self._known = threading.Event()

    def attach(self, streamed: Callable[[], bool]) -> None:
        """How to tell whether the runtime's `/response` is a streamed one (the pending
        invocation's outcome, known once `submit` returned)."""
        self._streamed = streamed
        self._known.set()

    def __call__(self, data: bytes) -> None:
        self._known.wait()
        if not self.enabled or not self._streamed():
            return  # a chunked buffered answer, or one Lambda would not stream: whole
        if self.started:
            self.send(CHUNK, b"", data)
            return
        self._held += data
        prelude, found, body = self._held.partition(DELIMITER)
        if not found:
            return
        self.started = True
        self._held = b""
        self.send(START, b"", prelude)
        if body:
            self.send(CHUNK, b"", body)

    def finish(self, trailers: dict[str, str], duration: bytes) -> None:
        """END, or BROKEN with the error the trailers carry."""
        if ERROR_TYPE in trailers:
            error: Any
            try:
                error = json.loads(base64.b64decode(trailers.get(ERROR_BODY, "")))
            except ValueError:
                error = {"errorType": trailers[ERROR_TYPE], "errorMessage": ""}
            self.send(BROKEN, duration, json.dumps(error).encode("utf-8"))
        else:
            self.send(END, duration, b"")


class IdleAwareServer(RuntimeAPIServer):
    """The instance's Runtime API server, which also tells when the runtime asks for its
    next event: the end of an invocation on Lambda, work after the response included."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.idle = threading.Event()

    def next_invocation(self) -> Any:
        self.idle.set()
        pending = super().next_invocation()
        self.idle.clear()
        return pending


def relay_invocation(
    server: IdleAwareServer, send: Send, request_id: str, event: bytes, timeout: float
) -> None:
    """One invocation through the runtime: its answer as frames the moment they arrive
    (a stream's head and chunks, or the whole answer), then DONE once the runtime asks for
    its next event (or the deadline has passed)."""
    began = time.perf_counter()
    relay = StreamRelay(send, streamable(event))
    pending = server.submit(event, request_id=request_id, on_chunk=relay)
    relay.attach(lambda: pending.outcome.streamed)
    if not pending.done.wait(timeout + 5):
        raise TimeoutError(f"no answer to invocation {request_id} in {timeout + 5:g} s")
    outcome = pending.outcome
    if relay.started:
        relay.finish(outcome.trailers, _since(began))
    elif outcome.kind == "response":
        send(RESULT, _since(began), buffered_answer(outcome))
    else:
        send(ERROR, _since(began), outcome.body)
    server.idle.wait(max(0.0, timeout - (time.perf_counter() - began)))
    send(DONE, _since(began), b"")


def _since(began: float) -> bytes:
    return f"{(time.perf_counter() - began) * 1000:.3f}".encode("ascii")


__all__ = ["IdleAwareServer", "StreamRelay", "relay_invocation", "streamable"]
