"""A plain function that answers with what its runtime told it: the context object's
values and the template's environment (`faasgi serve --template --runtime-client`)."""

from __future__ import annotations

import os
from typing import Any


def handler(event: Any, context: Any) -> Any:
    return {
        "context_class": f"{type(context).__module__}.{type(context).__name__}",
        "function_name": context.function_name,
        "memory_limit_in_mb": str(context.memory_limit_in_mb),
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "greeting": os.environ.get("GREETING"),
        "region": os.environ.get("AWS_REGION"),
    }
