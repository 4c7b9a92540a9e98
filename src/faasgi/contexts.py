"""Stand-ins for the context objects AWS Lambda and Alibaba FC pass to a handler, for the
test client, `faasgi invoke` and the local emulator. Same attribute names as the real ones.
"""

from __future__ import annotations

import os
import time
from typing import Any


class LambdaContext:
    """The attributes of the Python runtime's `LambdaContext` a handler may read."""

    def __init__(
        self,
        aws_request_id: str | None = None,
        function_name: str = "faasgi-local",
        memory_limit_in_mb: int = 512,
        timeout_s: float = 60.0,
    ) -> None:
        self.aws_request_id = aws_request_id or _request_id()
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )
        self.memory_limit_in_mb = memory_limit_in_mb
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _FCFunction:
    def __init__(self, name: str, handler: str, memory: int, timeout: int) -> None:
        self.name = name
        self.handler = handler
        self.memory = memory
        self.timeout = timeout


class FCContext:
    """The attributes of Function Compute's Python context a handler may read."""

    def __init__(
        self,
        request_id: str | None = None,
        function_name: str = "faasgi-local",
        handler: str = "index.handler",
        memory: int = 512,
        timeout: int = 60,
    ) -> None:
        self.request_id = request_id or _request_id()
        self.function = _FCFunction(function_name, handler, memory, timeout)
        self.region = "cn-hangzhou"
        self.account_id = "1234567890123456"
        self.credentials: Any = None


def _request_id() -> str:
    raw = os.urandom(16).hex()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def context_for(source: str, **options: Any) -> LambdaContext | FCContext:
    """A context of the kind the platform behind `source` passes."""
    if source.startswith("fc"):
        return FCContext(**options)
    return LambdaContext(**options)
