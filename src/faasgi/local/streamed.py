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

from faasgi.http import Headers, Response

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


__all__ = ["STREAM_LIMITS", "head_response"]
