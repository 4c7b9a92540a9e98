"""How an emulator instance hands a faasgi handler's answer to the emulator, inside the
instance process: the whole answer as soon as it is ready, or — for a function switched
to streaming — status and headers, then each chunk the moment the app produces it. The
work after the response runs after that, so the client has its answer first, as under
faasgi's own runtimes (`faasgi.runtime` on Lambda, `faasgi.custom_runtime` on FC).

Which answers stream is what the platform would stream:
- Lambda (`function-url`, `aws-rest`): a function in `RESPONSE_STREAM` mode
  (`serverless(..., invoke_mode="RESPONSE_STREAM")` or `FAASGI_INVOKE_MODE`), for the
  events Lambda can stream — a Function URL's (a `lambda-url` domain) and a REST API's —
  with Lambda's streaming prelude as the head (`faasgi.runtime.sinks`). HTTP APIs
  (`aws-http`), ALB and VPC Lattice cannot stream
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html).
- FC (`fc-http`): a function in `RESPONSE_STREAM` mode, as `faasgi.custom_runtime` streams
  it (a web function's chunked answer is a streamed one:
  https://help.aliyun.com/zh/functioncompute/fc/does-function-compute-support-sse-streaming-response).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from faasgi.http import Reply
from faasgi.local.frames import BROKEN, CHUNK, END, RESULT, START
from faasgi.runtime.errors import error_body
from faasgi.runtime.loop import streaming
from faasgi.runtime.sinks import prelude, streams
from faasgi.sinks import Sink

if TYPE_CHECKING:
    from faasgi.events import Event, Source
    from faasgi.function import Handler

logger = logging.getLogger("faasgi")

#: Writes one frame of this invocation: (kind, meta, body).
Send = Callable[[int, bytes, bytes], None]


def elapsed_ms(started: float) -> bytes:
    return f"{(time.perf_counter() - started) * 1000:.3f}".encode("ascii")


class EmulatorSink(Sink):
    """Sends the answer to the emulator as frames the moment it is ready."""

    delivers_early = True

    def __init__(self, handler: Handler, send: Send, started: float, stream: bool) -> None:
        super().__init__(handler.codec, handler.raise_app_errors)
        self.send = send
        self.started = started
        self.stream = stream
        #: True once the answer (or a stream's head) has gone out: an error is too late.
        self.answered = False

    def http(self, reply: Reply, source: Source, event: Event) -> Any:
        fc = source.NAME.startswith("fc")
        if not self.stream or not (fc or _streamable(source, event)):
            return self.value(super().http(reply, source, event))
        if fc:
            shape = {"statusCode": reply.status, "headerList": reply.headers}
            head = json.dumps(shape, separators=(",", ":")).encode("utf-8")
        else:
            head = prelude(reply, source)
        self.answered = True
        self.send(START, b"", head)
        try:
            for chunk in reply.chunks():
                self.send(CHUNK, b"", chunk)
        except Exception as error:
            logger.exception("the app failed part-way through its streamed response")
            failure = json.dumps(error_body(error)).encode("utf-8")
            self.send(BROKEN, elapsed_ms(self.started), failure)
        else:
            self.send(END, elapsed_ms(self.started), b"")
        return None

    def value(self, result: Any) -> Any:
        # The platform serialises the answer; one it cannot serialise is an error.
        answer = json.dumps(result).encode("utf-8")
        self.answered = True
        self.send(RESULT, elapsed_ms(self.started), answer)
        return result


def _streamable(source: Source, event: Event) -> bool:
    """What Lambda streams, told apart as the emulator builds its events: an `aws-http`
    event is a Function URL's only on a `lambda-url` domain; the HTTP API's carry the
    local host (faasgi.runtime's own check, `streams()`, sees any non-execute-api domain
    as a Function URL, which on Lambda it is)."""
    if source.NAME == "aws-http":
        context = event.get("requestContext")
        domain = context.get("domainName", "") if isinstance(context, dict) else ""
        return ".lambda-url." in str(domain or "")
    return streams(source, event)


def sink_factory(target: Any) -> Callable[[Send, float], EmulatorSink] | None:
    """How to make each invocation's sink for a faasgi handler; None for a plain
    `handler(event, context)` function, whose return value is the answer."""
    from faasgi.function import Handler

    if not isinstance(target, Handler):
        return None
    stream = streaming(target)

    def make(send: Send, started: float) -> EmulatorSink:
        return EmulatorSink(target, send, started, stream)

    return make


__all__ = ["EmulatorSink", "Send", "elapsed_ms", "sink_factory"]
