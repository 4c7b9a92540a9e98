"""A plain Lambda function, no faasgi: both runtimes must treat it alike."""

from __future__ import annotations

import os
from typing import Any


def handler(event: Any, context: Any) -> Any:
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError(f"asked to fail: {event['fail']}")
    if isinstance(event, dict) and event.get("bytes"):
        return b"raw \x00 bytes"
    return {
        "event": event,
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_positive": context.get_remaining_time_in_millis() > 0,
        "client_context_custom": getattr(context.client_context, "custom", None),
        "identity_id": getattr(context.identity, "cognito_identity_id", None),
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
    }


def unserialisable(event: Any, context: Any) -> Any:
    return {"when": object()}
