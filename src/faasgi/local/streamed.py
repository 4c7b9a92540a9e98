"""The emulator's front for a streamed answer: its head read as the platform reads it, and
the platform's size limit.

Lambda: a streamed answer may have up to 200 MB (a buffered one 6 MB); the first 6 MB go
out at full speed, then bandwidth is capped (about 2 MiB/s; AWS's Runtime Interface
Emulator shapes streams to 2 MiB/s on average with a 6 MiB burst). Sources:
https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html and
aws-lambda-runtime-interface-emulator `internal/lambda/interop/model.go`. The emulator
enforces the size (taking MB as MiB, as it does for the 6 MB limit) and not the bandwidth:
a laptop's stream should be as fast as the app makes it. API Gateway REST streams: first
10 MB unthrottled, then 2 MB/s, up to 15 minutes
(https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html).
FC documents no limit on a web function's answer, so none is enforced there.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from faasgi.http import Headers, Response
from faasgi.local.calls import StreamBroken
from faasgi.local.pool import Outcome

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MiB = 1024 * 1024

#: Bytes a streamed answer may have, by event source.
STREAM_LIMITS: dict[str, int] = {"aws-http": 200 * MiB, "aws-rest": 200 * MiB}


def head_response(head: bytes) -> Response:
    """Status and headers of a streamed answer from its head (the START frame): Lambda's
    prelude — `headers` plus `cookies` (Function URL) or `multiValueHeaders` (REST, which
    win over `headers` for the same name, as in a buffered REST answer) — or FC's
    `headerList`, every header as the app set it."""
    shape = json.loads(head)
    status = int(shape.get("statusCode") or 200)
    if "headerList" in shape:
        return Response(status, [(str(n).lower(), str(v)) for n, v in shape["headerList"]])
    headers: Headers = []
    multi = shape.get("multiValueHeaders") or {}
    for name, values in multi.items():
        headers.extend((name.lower(), str(value)) for value in values)
    for name, value in (shape.get("headers") or {}).items():
        if name not in multi:
            headers.append((name.lower(), str(value)))
    headers.extend(("set-cookie", str(cookie)) for cookie in shape.get("cookies") or [])
    return Response(status, headers)


async def forward(outcome: Outcome, send: Send, head_only: bool, limit: int | None) -> bool:
    """Each chunk of a streamed answer to the client (ASGI `send`) as it arrives, then
    the body's end; False, without the end, when the stream broke or passed `limit` bytes
    (the outcome then says why)."""
    assert outcome.stream is not None
    sent = 0
    try:
        async for chunk in outcome.stream.chunks():
            sent += len(chunk)
            if limit is not None and sent > limit:
                outcome.stream.discard()
                outcome.failure = "too-large"
                outcome.detail = f"the streamed answer passed its limit of {limit:,} bytes"
                return False
            if not head_only:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except StreamBroken as error:
        outcome.failure, outcome.detail = error.kind, error.detail
        return False
    finally:
        outcome.duration_ms = outcome.stream.duration_ms or outcome.duration_ms
    await send({"type": "http.response.body", "body": b""})
    return True


async def collect(outcome: Outcome) -> bytes:
    """A streamed answer's whole body, for those who need it whole (`faasgi check`); what
    arrived when it broke."""
    assert outcome.stream is not None
    chunks: list[bytes] = []
    try:
        async for chunk in outcome.stream.chunks():
            chunks.append(chunk)  # noqa: PERF401 - a comprehension would lose them on a break
    except StreamBroken as error:
        outcome.failure, outcome.detail = error.kind, error.detail
    return b"".join(chunks)


__all__ = ["STREAM_LIMITS", "collect", "forward", "head_response"]
