"""Error bodies in the shape Lambda and AWS's Python runtime use:
`{"errorMessage", "errorType", "requestId", "stackTrace"}` (runtimes-api.html "Invocation
error"; awslambdaric bootstrap.make_error), for `/error`, `/init/error` and the streamed
error trailer.
"""

from __future__ import annotations

import traceback
from typing import Any

#: Frames of faasgi's own runtime loop are left out of a stack trace, as awslambdaric
#: leaves out its bootstrap.py.
_OWN = ("/faasgi/runtime/",)


class HandlerError(Exception):
    """The handler named in `_HANDLER` cannot be loaded; `error_type` says how (the
    `Runtime.*` names awslambdaric uses)."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def error_body(error: BaseException, request_id: str | None = None) -> dict[str, Any]:
    if isinstance(error, HandlerError):
        return {
            "errorMessage": error.message,
            "errorType": error.error_type,
            "requestId": request_id or "",
            "stackTrace": error.trace,
        }
    frames = list(traceback.extract_tb(error.__traceback__))
    for position, frame in enumerate(frames):
        if not any(part in frame.filename for part in _OWN):
            frames = frames[position:]
            break
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id or "",
        "stackTrace": traceback.format_list(frames),
    }
