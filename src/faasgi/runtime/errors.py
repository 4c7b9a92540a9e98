"""Error bodies in the shape Lambda and AWS's Python runtime use:
`{"errorMessage", "errorType", "requestId", "stackTrace"}` (runtimes-api.html "Invocation
error"; awslambdaric bootstrap.make_error), for `/error`, `/init/error` and the streamed
error trailer.
"""

from __future__ import annotations

import os
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


def _user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    frames = list(traceback.extract_tb(error.__traceback__))
    for position, frame in enumerate(frames):
        if not any(part in frame.filename for part in _OWN):
            return frames[position:]
    return frames


def xray_cause(error: BaseException | None, error_type: str, message: str) -> dict[str, Any]:
    """The X-Ray error cause awslambdaric sends on `/error` (bootstrap.make_xray_fault):
    the working directory, the exception with its user frames, and their files. Without an
    exception (the event or context could not be read), the type is awslambdaric's
    `LambdaValidationError` and the stack is empty."""
    frames = _user_frames(error) if error is not None else []
    stack = [{"label": f.name, "path": f.filename, "line": f.lineno} for f in frames]
    return {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": error_type, "stack": stack}],
        "paths": list(dict.fromkeys(f.filename for f in frames)),
    }


def error_body(error: BaseException, request_id: str | None = None) -> dict[str, Any]:
    if isinstance(error, HandlerError):
        return {
            "errorMessage": error.message,
            "errorType": error.error_type,
            "requestId": request_id or "",
            "stackTrace": error.trace,
        }
    frames = _user_frames(error)
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id or "",
        "stackTrace": traceback.format_list(frames),
    }
