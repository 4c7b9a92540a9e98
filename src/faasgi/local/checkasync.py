"""`faasgi check`'s async part: scenario steps that are scheduled events
(`{"schedule": "nightly", "time": "2026-01-01T12:00:00Z"}`), and the check that the
answers depend on when each event was *triggered*, not on when it happened to run.

The steps are sent at once, as asynchronous events, to one instance: they queue as they
would behind a busy function, and run seconds to months after their trigger time. Every
time written in an answer is then compared with the two: a time closer to the moment the
event ran than to its trigger time came from the clock (`datetime.now()`), and the answer
would change with the queue's delay — the timer bug of the lesson behind issue 16.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from faasgi.cli import UsageError
from faasgi.local.asyncinvoke import AsyncEvent, AsyncFunction, AsyncInvoker, platform_policy
from faasgi.local.pool import Pool, PoolSettings
from faasgi.local.schedules import schedule

UTC = timezone.utc

#: ISO 8601 date-times as answers write them (`2026-01-01T11:59Z`, `...:00.123+00:00`).
_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_KEYS = ("schedule", "time", "kind", "input")


@dataclass(frozen=True, slots=True)
class ScheduleStep:
    """A scheduled event of a scenario (`number` counts every step from 1)."""

    number: int
    name: str
    time: datetime
    kind: str | None = None
    input: str | None = None

    def __str__(self) -> str:
        return f"schedule {self.name} at {self.time:%Y-%m-%dT%H:%M:%SZ}"


def split_scenario(data: Any, origin: str) -> tuple[Any, list[ScheduleStep]]:
    """(the HTTP steps, as parse_scenario takes them; the schedule steps)."""
    if not isinstance(data, list):
        return data, []
    http, scheduled = [], []
    for number, raw in enumerate(data, 1):
        if isinstance(raw, dict) and "schedule" in raw:
            scheduled.append(_schedule_step(number, raw, origin))
        else:
            http.append(raw)
    return http, scheduled


def _schedule_step(number: int, raw: dict[str, Any], origin: str) -> ScheduleStep:
    where = f"{origin}, step {number}"
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {unknown}; a schedule step has {_KEYS}")
    name, when = raw.get("schedule"), raw.get("time")
    if not isinstance(name, str) or not re.fullmatch(r"[\w.-]{1,64}", name):
        raise UsageError(f"{where}: 'schedule' is the schedule's name, such as \"nightly\"")
    moment = None
    if isinstance(when, str):
        try:
            moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None:
        raise UsageError(f"{where}: 'time' is the trigger time, e.g. \"2026-01-01T12:00:00Z\"")
    kind = raw.get("kind")
    if kind not in (None, "rule", "scheduler"):
        raise UsageError(f'{where}: \'kind\' is "rule" (default) or "scheduler"')
    payload = raw.get("input")
    return ScheduleStep(
        number,
        name,
        moment if moment.tzinfo else moment.replace(tzinfo=UTC),
        kind,
        None if payload is None else json.dumps(payload),
    )


@dataclass(slots=True)
class Verdict:
    step: ScheduleStep
    event: AsyncEvent
    #: Times in the answer that came from the clock.
    from_clock: list[str]


async def check_schedules(
    steps: list[ScheduleStep], settings: PoolSettings, tables_declared: Any
) -> int:
    """Run the steps queued on one instance; print what each answer depends on; 0 or 1."""
    fc = settings.source.startswith("fc")
    pool = Pool(dataclasses.replace(settings, max_instances=1), tables_declared)
    policy = platform_policy("fc" if fc else "aws", max_retries=0)
    invoker = AsyncInvoker({"check": AsyncFunction("check", pool, policy, "")})
    try:
        await pool.start()
        events = []
        for step in steps:
            kind = "fc-timer" if fc else (step.kind or "rule")
            item = schedule(step.name, kind, "rate(1 minute)", step.input if not fc else None)
            events.append(
                invoker.submit(
                    "check", item.event(step.time), origin=str(step), scheduled=step.time
                )
            )
        while invoker.pending():
            await asyncio.sleep(0.02)
    finally:
        await invoker.close()
        await pool.close()
    verdicts = [
        Verdict(step, event, _from_clock(event)) for step, event in zip(steps, events, strict=True)
    ]
    return _report(verdicts)


def _from_clock(event: AsyncEvent) -> list[str]:
    """The times in the answer nearer to when it ran than to when it was triggered."""
    if not event.attempts or event.attempts[-1].result != "success" or event.scheduled is None:
        return []
    attempt = event.attempts[-1]
    ran = attempt.started + timedelta(milliseconds=attempt.duration_ms / 2)
    found = []
    for text in _TIME.findall(event.answer.decode("utf-8", "replace")):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            continue
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if abs(moment - ran) < abs(moment - event.scheduled):
            found.append(text)
    return found


def _report(verdicts: list[Verdict]) -> int:
    waits = [v.event.attempts[0].queued for v in verdicts if v.event.attempts]
    print(
        f"faasgi check: {len(verdicts)} scheduled event(s) queued on one instance "
        f"(waited up to {max(waits, default=0):.1f} s in the queue)",
        flush=True,
    )
    failed = False
    for verdict in verdicts:
        event, label = verdict.event, f"  step {verdict.step.number} ({verdict.step})"
        if not event.attempts or event.attempts[-1].result != "success":
            detail = event.attempts[-1].detail if event.attempts else event.state
            print(f"{label}: failed: {detail}")
            failed = True
            continue
        ran = event.attempts[-1].started
        if verdict.from_clock:
            print(
                f"{label}: DEPENDS ON THE RUN TIME: the answer holds "
                f"{', '.join(verdict.from_clock)}, the time it ran ({ran:%Y-%m-%dT%H:%M:%SZ}), "
                "not the time it was triggered"
            )
            failed = True
        else:
            print(f"{label}: ran at {ran:%H:%M:%S}, the answer follows the trigger time")
    if failed:
        print(
            "\nfaasgi check: a scheduled event may wait in the platform's queue (every "
            "instance busy,\nretries): read the trigger time from the event "
            "(current_invocation().trigger_time),\nnever the clock (docs/async.md)."
        )
        return 1
    return 0


__all__ = ["ScheduleStep", "check_schedules", "split_scenario"]
