"""What faasgi tells about each invocation when asked: the opt-in REPORT log line
(`report=True` or the `faasgi.report` logger at INFO) and the `Server-Timing` header.

Never on by default: no log line per request unless the user turned it on.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from faasgi.http import Headers
from faasgi.lifecycle import Invocation

report_logger = logging.getLogger("faasgi.report")


def enable_report() -> None:
    report_logger.setLevel(logging.INFO)
    if not logging.getLogger().handlers and not report_logger.handlers:
        report_logger.addHandler(logging.StreamHandler())


def add_server_timing(headers: Headers, invocation: Invocation, init_ms: float | None) -> None:
    app_ms = (time.monotonic() - invocation.started) * 1000
    timing = f"app;dur={app_ms:.2f}"
    if invocation.cold and init_ms is not None:
        timing = f"init;dur={init_ms:.2f}, " + timing
    headers.append(("server-timing", timing))


def report(invocation: Invocation, status: int, init_ms: float | None) -> None:
    """One REPORT line; call only when `report_logger.isEnabledFor(logging.INFO)`."""
    duration_ms = (time.monotonic() - invocation.started) * 1000
    line: dict[str, Any] = {
        "type": "faasgi.report",
        "requestId": invocation.request_id,
        "source": invocation.source,
        "cold": invocation.cold,
        "durationMs": round(duration_ms, 3),
        "status": status,
    }
    if invocation.cold and init_ms is not None:
        line["initMs"] = round(init_ms, 3)
    import json  # only once the opt-in REPORT line is on

    report_logger.info("REPORT %s", json.dumps(line), extra={"faasgi": line})
