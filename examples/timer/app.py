"""A scheduled job that counts the log lines of the minute before it was triggered, twice:
`wrong` reads the clock, `right` reads the trigger time from the event.

Timer triggers are asynchronous: when every instance is busy (the function's concurrency
limit), events wait in the platform's queue, so a job "triggered at 12:00" may run at 12:10.
`wrong` then counts the minute before 12:10; `right` still counts 11:59-12:00.

Logs are files of one minute each under TIMER_LOG_DIR (`2026-01-01T11-59.log`, one line per
request); a file that is not valid UTF-8 makes the job fail, and its event ends in the
OnFailure destination once the platform's retries are spent.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from faasgi import serverless

#: How long one run takes (a slow job is what makes events queue up).
SLOW_SECONDS = float(os.environ.get("TIMER_SLOW_SECONDS", "0"))


def status(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The function's HTTP side (unused by the schedule): a health check."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


wrong = serverless(status)
right = serverless(status)


@wrong.on("schedule")
def count_from_the_clock(event: dict[str, Any], invocation: Any) -> dict[str, Any]:
    # WRONG: "now" is when the event ran, which under load is minutes after its trigger.
    return count_window(datetime.now(timezone.utc))


@right.on("schedule")
def count_from_the_trigger(event: dict[str, Any], invocation: Any) -> dict[str, Any]:
    # RIGHT: the time the schedule fired, read from the event (its "time" field).
    return count_window(invocation.trigger_time)


def count_window(moment: datetime) -> dict[str, Any]:
    """Count the log lines of the whole minute before `moment`."""
    end = moment.astimezone(timezone.utc).replace(second=0, microsecond=0)
    start = end - timedelta(minutes=1)
    time.sleep(SLOW_SECONDS)
    path = Path(os.environ.get("TIMER_LOG_DIR", "logs")) / f"{start:%Y-%m-%dT%H-%M}.log"
    lines = path.read_bytes().decode("utf-8").splitlines() if path.exists() else []
    return {"window": f"{start:%Y-%m-%dT%H:%M}Z", "lines": len(lines)}
