"""The size limits each platform's front enforces, so a request or an answer that would be
refused once deployed is refused by the emulator too (off with `faasgi serve --no-limits`).

Sources (also cited in docs/emulator.md):
- Lambda, synchronous invocation: 6 MB request and response payload
  (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
  https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). Measured exactly: the
  request (the event JSON) must be smaller than 6,291,456 bytes, the response may be
  6,291,556 (6 MiB + 100 B; the Runtime Interface Emulator's limit, render_error.go); an
  answer over it fails with `RequestEntityTooLarge` and the front answers 502.
- Application Load Balancer with a Lambda target: 1 MB request body, 1 MB response JSON
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html).
- Function Compute 3.0 HTTP trigger: headers 8 KB (names and values), path with query 4 KB,
  body 32 MB (synchronous); over any, 400 `InvalidArgument`
  (https://www.alibabacloud.com/help/en/functioncompute/fc/web-functions,
  https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/http-body-be-modified).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from faasgi.events import BUILD_NAMES
from faasgi.http import Request

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Refusal:
    """What the front answers instead of invoking the function (or instead of its answer)."""

    status: int
    body: bytes
    #: For the log line: which limit, and by how much.
    detail: str


@dataclass(frozen=True, slots=True)
class Limits:
    """One front's limits; None: no such limit."""

    #: The event the front builds, as JSON bytes (Lambda's invocation payload).
    event_bytes: int | None = None
    #: The request body.
    body_bytes: int | None = None
    #: Header names and values together.
    header_bytes: int | None = None
    #: Path and query string together.
    path_bytes: int | None = None
    #: The function's answer, as JSON bytes.
    answer_bytes: int | None = None
    #: Status and JSON body for a request over a limit.
    too_large_status: int = 413
    too_large_body: bytes = b'{"message":"Request Entity Too Large"}'

    def check_request(self, request: Request, event: bytes) -> Refusal | None:
        """A refusal for a request over one of the limits, else None."""
        found = None
        if self.body_bytes is not None and len(request.body) > self.body_bytes:
            found = f"body of {len(request.body):,} bytes, over the {self.body_bytes:,} allowed"
        elif self.header_bytes is not None:
            size = sum(len(name) + len(value) for name, value in request.headers)
            if size > self.header_bytes:
                found = f"headers of {size:,} bytes, over the {self.header_bytes:,} allowed"
        if found is None and self.path_bytes is not None:
            size = len(request.raw_path or request.path) + len(request.query_string)
            if size > self.path_bytes:
                found = f"path and query of {size:,} bytes, over the {self.path_bytes:,} allowed"
        if found is None and self.event_bytes is not None and len(event) >= self.event_bytes:
            found = f"event of {len(event):,} bytes; it must be smaller than {self.event_bytes:,}"
        if found is None:
            return None
        return Refusal(self.too_large_status, self.too_large_body, f"request too large: {found}")

    def check_answer(self, answer: bytes) -> str | None:
        """The error the platform reports for an answer over the limit, else None."""
        if self.answer_bytes is None or len(answer) <= self.answer_bytes:
            return None
        shape = {
            "errorMessage": f"Exceeded maximum allowed payload size ({self.answer_bytes} bytes).",
            "errorType": "RequestEntityTooLarge",
        }
        return json.dumps(shape)


_LAMBDA = Limits(event_bytes=6 * MB, answer_bytes=6 * MB + 100)
_ALB = Limits(event_bytes=6 * MB, body_bytes=1 * MB, answer_bytes=1 * MB)

#: Each event source's front (its name as `--source` takes it).
LIMITS: dict[str, Limits] = {
    "aws-http": _LAMBDA,
    "function-url": _LAMBDA,
    "aws-rest": _LAMBDA,
    "lattice": _LAMBDA,
    "alb": _ALB,
    "alb-multi": _ALB,
    "fc-http": Limits(
        body_bytes=32 * MB,
        header_bytes=8 * 1024,
        path_bytes=4 * 1024,
        too_large_status=400,
        too_large_body=b'{"ErrorCode":"InvalidArgument","ErrorMessage":"request too large"}',
    ),
}

assert set(LIMITS) == set(BUILD_NAMES), "every event source the emulator offers has its limits"

#: No limits at all (`--no-limits`).
NONE = Limits()


__all__ = ["LIMITS", "NONE", "Limits", "Refusal"]
