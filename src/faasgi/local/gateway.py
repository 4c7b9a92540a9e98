"""The emulator's front door, playing API Gateway, ALB or FC's HTTP trigger: an ASGI app
that turns each HTTP request into the chosen source's platform event (with the event
builders the library ships), has the instance pool invoke the function, and decodes the
answer the way the platform does into the HTTP response.

Knows nothing about processes: anything with `invoke(request_id, event) -> Outcome` will
do, which is how it is tested in-process.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import formatdate
from typing import Any, Protocol

from faasgi.errors import MalformedEvent
from faasgi.events import Refused, Stamp, builder
from faasgi.http import Request, Response, decoded
from faasgi.local.limits import LIMITS, Limits
from faasgi.local.pool import Outcome
from faasgi.local.streamed import STREAM_LIMITS, forward, head_response

logger = logging.getLogger("faasgi.local.gateway")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: What the platform's front answers when the function could not (API Gateway's bodies).
_FAILURES: dict[str, tuple[int, str]] = {
    "error": (502, "Internal server error"),
    "crash": (502, "Internal server error"),
    "init": (502, "Internal server error"),
    "answer": (502, "Internal server error"),
    "too-large": (502, "Internal server error"),
    "timeout": (504, "Endpoint request timed out"),
    "throttled": (429, "Too Many Requests"),
    "stopped": (503, "Service Unavailable"),
}

#: Headers the front sets itself; the function's values would contradict the body it sends.
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class Invoker(Protocol):
    """What the gateway needs from the pool."""

    async def invoke(self, request_id: str, event: bytes) -> Outcome: ...


class Gateway:
    """ASGI app: HTTP request -> platform event -> function -> platform answer -> HTTP."""

    def __init__(
        self,
        invoker: Invoker,
        source: str = "aws-http",
        stage: str = "$default",
        limits: Limits | None = None,
    ):
        self.invoker = invoker
        self.source_name = source
        self.source, self.build_event = builder(source)
        self.stage = stage
        #: The payload limits the platform's front enforces (`--no-limits`: none).
        self.limits = LIMITS[source] if limits is None else limits
        #: Bytes a streamed answer may have (Lambda: 200 MB); None: no limit known, or
        #: `--no-limits`.
        self.stream_limit = STREAM_LIMITS.get(source) if self.limits.answer_bytes else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        # Anything else (WebSocket) is refused: none of the emulated fronts passes it on.

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        body = await read_body(receive)
        request = request_from_scope(scope, body)
        response, outcome = await self.handle(request)
        headers = [
            (name.encode("latin-1"), _header_bytes(value)) for name, value in response.headers
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if outcome.stream is None:
            await send({"type": "http.response.body", "body": response.body})
        elif not await forward(outcome, send, request.method == "HEAD", self.stream_limit):
            # The status is out: the only way left to say "broken" is to end the connection
            # without the body's end (the client sees an incomplete response).
            logger.warning("%s", log_line(request, response.status, outcome, started))
            return
        if logger.isEnabledFor(logging.INFO):
            logger.info("%s", log_line(request, response.status, outcome, started))

    async def handle(
        self, request: Request, adjust: Callable[[dict[str, Any]], None] | None = None
    ) -> tuple[Response, Outcome]:
        """Invoke the function for one request; the HTTP response the client gets.

        `adjust` completes the event before it is sent (a template's route key, path
        parameters and authorizer context)."""
        request_id = str(uuid.uuid4())
        client = request.client[0] if request.client else "127.0.0.1"
        stamp = Stamp(request_id, int(time.time() * 1000), client, self.stage)
        try:
            built = self.build_event(request, stamp)
        except Refused as refusal:  # the platform answers without invoking the function
            outcome = Outcome(instance="", cold=False, init_ms=None, duration_ms=0.0, queued_ms=0.0)
            response = refusal.response()
        else:
            if adjust is not None:
                adjust(built)
            event = json.dumps(built).encode("utf-8")
            too_large = self.limits.check_request(request, event)
            if too_large is not None:  # the front refuses it: the function never sees it
                outcome = Outcome(
                    "", False, None, 0.0, 0.0, failure="too-large", detail=too_large.detail
                )
                headers = [("content-type", "application/json")]
                response = Response(too_large.status, headers, too_large.body)
            else:
                outcome = await self.invoker.invoke(request_id, event)
                response = self.decode(outcome)
        if request.method == "HEAD":
            response.body = b""
        headers = [(n, v) for n, v in response.headers if n not in _HOP_BY_HOP]
        if request.method != "HEAD" and outcome.stream is None:
            headers.append(("content-length", str(len(response.body))))
        if not any(name.lower() == "date" for name, _ in headers):
            headers.append(("date", formatdate(usegmt=True)))  # as the platform's front does
        if outcome.instance:
            headers.append(("x-faasgi-instance", outcome.instance))
            headers.append(("x-faasgi-cold", "1" if outcome.cold else "0"))
        if outcome.failure:
            headers.append(("x-faasgi-error", outcome.failure))
        response.headers = headers
        return response, outcome

    def decode(self, outcome: Outcome) -> Response:
        """The function's answer read as the platform reads it; its error page if none."""
        if outcome.stream is not None:
            return head_response(outcome.payload)
        if outcome.failure is None and (error := self.limits.check_answer(outcome.payload)):
            # What the platform writes to the function's log, then the front's 502.
            logger.warning("%s: %s", outcome.instance, error)
            outcome.failure = "too-large"
            outcome.detail = f"the answer has {len(outcome.payload):,} bytes"
        if outcome.failure is None:
            try:
                return self.source.read_response(json.loads(outcome.payload))
            except (MalformedEvent, ValueError, KeyError, TypeError, AttributeError) as error:
                outcome.failure = "answer"
                outcome.detail = f"not a valid {self.source_name} answer: {error}"
        if outcome.failure == "error":
            shape = json.loads(outcome.payload)
            outcome.detail = f"the handler raised {shape['errorType']}: {shape['errorMessage']}"
        status, message = _FAILURES[outcome.failure]
        body = json.dumps({"message": message}).encode("utf-8")
        return Response(status, [("content-type", "application/json")], body)


def request_from_scope(scope: Scope, body: bytes) -> Request:
    """The ASGI request as faasgi's model, with the X-Forwarded-* headers the platform's
    front adds (so the app builds URLs for this local server, not for https)."""
    raw_path = (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1")
    headers = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
    ]
    names = {name for name, _ in headers}
    scheme = scope.get("scheme") or "http"
    server = scope.get("server") or ("127.0.0.1", 80)
    if "x-forwarded-proto" not in names:
        headers.append(("x-forwarded-proto", scheme))
    if "x-forwarded-port" not in names and server[1] is not None:
        headers.append(("x-forwarded-port", str(server[1])))
    client = scope.get("client")
    return Request(
        scope["method"],
        decoded(raw_path),
        scope.get("query_string", b"").decode("latin-1"),
        headers,
        body,
        raw_path=raw_path,
        scheme=scheme,
        server=(str(server[0]), int(server[1] or 80)),
        client=(str(client[0]), int(client[1])) if client else None,
        http_version=scope.get("http_version") or "1.1",
    )


def log_line(request: Request, status: int, outcome: Outcome, started: float) -> str:
    """`GET /todos 200 i-3f2a cold init=153.2ms duration=12.4ms` (+ queued, error)."""
    path = request.raw_path or "/"
    if request.query_string:
        path += "?" + request.query_string
    parts = [request.method, path, str(status), outcome.instance or "-"]
    if outcome.instance:
        parts.append("cold" if outcome.cold else "warm")
        parts.append(f"init={outcome.init_ms:.1f}ms" if outcome.init_ms is not None else "init=-")
        parts.append(f"duration={outcome.duration_ms:.1f}ms")
    if outcome.queued_ms >= 1:
        parts.append(f"queued={outcome.queued_ms:.0f}ms")
    if outcome.failure:
        parts.append(f"error={outcome.failure}")
        if outcome.detail:
            parts.append(f"({outcome.detail})")
    return " ".join(parts)


async def read_body(receive: Receive) -> bytes:
    """The whole body of an ASGI HTTP request."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _header_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


__all__ = ["Gateway", "Invoker", "log_line", "read_body", "request_from_scope"]
