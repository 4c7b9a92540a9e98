"""Function Compute's asynchronous invocation over HTTP: a request to an HTTP trigger with
`X-Fc-Invocation-Type: Async` is queued and answered at once ("Function Compute queues the
invocation and the function runs in the background",
https://help.aliyun.com/en/functioncompute/do-http-requests-support-asynchronous-invocations-and-how-to-obtain-invocation-results),
with status 202 (translated: "after a successful asynchronous invocation, Function Compute
returns status code 202, meaning the request was received", the HTTP trigger overview
https://help.aliyun.com/zh/fc/user-guide/overview-36, as quoted at
https://526net.com/n/v6w5/). The function gets the same HTTP trigger event as a
synchronous request; its answer goes to the async destinations, never to the client
("Asynchronous invocations do not return function output inline", the FAQ above).

The 202's body and headers beyond the request id are not documented: the emulator answers
with an empty body and `X-Fc-Request-Id`, FC's request id header.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from faasgi.events import Refused, Stamp
from faasgi.http import Request, Response


def wants_async(request: Request) -> bool:
    """Whether the request asks for an asynchronous invocation (header names are case
    insensitive; the value is compared as FC documents it, `Async`, in any case)."""
    return any(
        name.lower() == "x-fc-invocation-type" and value.strip().lower() == "async"
        for name, value in request.headers
    )


def queue(
    gateway: Any,
    request: Request,
    submit: Callable[[bytes, str], object],
    adjust: Callable[[dict[str, Any]], None] | None = None,
) -> Response:
    """Build the HTTP trigger event for `request` with `gateway` (local/gateway.Gateway),
    hand it to `submit(event, request_id)` (the async queue) and answer 202."""
    request_id = str(uuid.uuid4())
    client = request.client[0] if request.client else "127.0.0.1"
    stamp = Stamp(request_id, int(time.time() * 1000), client, gateway.stage)
    try:
        event = gateway.build_event(request, stamp)
    except Refused as refusal:  # the platform answers without queueing anything
        response: Response = refusal.response()
        return response
    if adjust is not None:
        adjust(event)
    submit(json.dumps(event).encode("utf-8"), request_id)
    return Response(202, [("x-fc-request-id", request_id), ("content-length", "0")], b"")


__all__ = ["queue", "wants_async"]
