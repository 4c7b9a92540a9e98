"""Asynchronous invocations in the emulator, as the platforms run them: an event is accepted
at once (202 and a request id), waits in the function's queue until an instance of its pool
is free, and is retried when the function fails, with the same event and request id, until
its attempts or its age run out; then its result goes to the OnSuccess / OnFailure
destination or the dead-letter queue.

Lambda (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):
a function error (exception, timeout, crash) is retried twice by default, about 1 minute and
then 2 minutes later; throttled events go back to the queue and wait, without counting as an
attempt; `MaximumRetryAttempts` 0-2, `MaximumEventAgeInSeconds` 60-21600 (default 6 hours).

Function Compute (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/error-handling-1-2):
a function error is retried 3 times by default (`maxAsyncRetryAttempts`), events live 86400 s
by default (`maxAsyncEventAgeInSeconds`,
https://alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-asyncconfig). The
page gives no interval for function-error retries; the emulator uses the back-off it gives
for throttled ones (0.5 s, then doubling).

The queue is the pool's own (FIFO, shared with synchronous requests), which is how an event
"triggered at 12:00" comes to run at 12:10 when every instance is busy.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from faasgi.local.pool import Outcome

logger = logging.getLogger("faasgi.local.async")

UTC = timezone.utc

#: Failures that are the function's (retried); "throttled" waits, "stopped" ends the event.
FUNCTION_FAILURES = frozenset({"error", "crash", "timeout", "init"})


class Invoker(Protocol):
    async def invoke(
        self, request_id: str, event: bytes, patience: float | None = None
    ) -> Outcome: ...


@dataclass(frozen=True, slots=True)
class AsyncPolicy:
    """One function's asynchronous invocation settings (EventInvokeConfig / asyncInvokeConfig)."""

    platform: str = "aws"
    max_retries: int = 2
    max_age: float = 21600.0
    #: Seconds before retry 1, 2, ...; the last one repeats.
    delays: tuple[float, ...] = (60.0, 120.0)
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter: str | None = None

    def delay(self, retry: int) -> float:
        return self.delays[min(retry, len(self.delays)) - 1]


def platform_policy(
    platform: str,
    retry_delay: float | None = None,
    max_retries: int | None = None,
    max_age: float | None = None,
    **destinations: str | None,
) -> AsyncPolicy:
    """The platform's defaults, with what the user set; `retry_delay` replaces the first
    back-off and scales the later ones as the platform spaces them."""
    if platform == "fc":
        base: tuple[float, ...] = tuple(0.5 * 2**n for n in range(8))
        policy = AsyncPolicy("fc", 3, 86400.0, base)
    else:
        policy = AsyncPolicy()
    delays = policy.delays
    if retry_delay is not None:
        delays = tuple(retry_delay * d / delays[0] for d in delays)
    return AsyncPolicy(
        platform,
        policy.max_retries if max_retries is None else max_retries,
        policy.max_age if max_age is None else max_age,
        delays,
        destinations.get("on_success"),
        destinations.get("on_failure"),
        destinations.get("dead_letter"),
    )


@dataclass(slots=True)
class Attempt:
    """One run of an async event."""

    number: int
    #: Seconds between the event's acceptance (or its retry's due time) and the run's start.
    queued: float
    started: datetime
    instance: str = ""
    cold: bool = False
    duration_ms: float = 0.0
    result: str = "running"
    detail: str = ""


@dataclass(slots=True)
class AsyncEvent:
    """One accepted async event, what became of it, and where its result went."""

    request_id: str
    function: str
    payload: bytes
    origin: str
    accepted: datetime
    #: When the schedule was due (schedules and triggers); None for Invoke API events.
    scheduled: datetime | None = None
    max_attempts: int = 3
    state: str = "queued"
    attempts: list[Attempt] = field(default_factory=list)
    #: Where the result was delivered ("sqs:failures", "dead-letter sqs:dlq", ...).
    delivered: list[str] = field(default_factory=list)
    condition: str = ""
    answer: bytes = b""
    accepted_at: float = field(default_factory=time.monotonic)
    sequence: int = 0

    def summary(self) -> dict[str, Any]:
        """What the log page and `/_faasgi/async.json` show."""
        first = self.attempts[0] if self.attempts else None
        return {
            "requestId": self.request_id,
            "function": self.function,
            "origin": self.origin,
            "scheduledTime": _iso(self.scheduled),
            "acceptedTime": _iso(self.accepted),
            "queuedSeconds": round(first.queued, 3) if first else None,
            "state": self.state,
            "condition": self.condition or None,
            "maxAttempts": self.max_attempts,
            "attempts": [
                {
                    "attempt": a.number,
                    "started": _iso(a.started),
                    "queuedSeconds": round(a.queued, 3),
                    "instance": a.instance,
                    "cold": a.cold,
                    "durationMs": round(a.duration_ms, 1),
                    "result": a.result,
                    "detail": a.detail,
                }
                for a in self.attempts
            ],
            "deliveredTo": list(self.delivered),
        }


@dataclass(slots=True)
class AsyncFunction:
    """A function that takes async events: its pool and its policy."""

    name: str
    pool: Invoker
    policy: AsyncPolicy
    arn: str = ""


#: Called with a finished event and its function, to deliver its result (destinations.py).
Deliver = Callable[[AsyncEvent, AsyncFunction], Awaitable[None]]


class AsyncInvoker:
    """The async queues of the emulator's functions."""

    def __init__(self, functions: dict[str, AsyncFunction], keep: int = 500) -> None:
        self.functions = functions
        self.deliver: Deliver | None = None
        #: Accepted events, oldest first (at most `keep`, for the log page).
        self.events: list[AsyncEvent] = []
        self._keep = keep
        self._tasks: set[asyncio.Task[None]] = set()
        self._sequence = itertools.count(1)
        self._closing = False

    def submit(
        self,
        function: str,
        payload: bytes,
        *,
        origin: str = "invoke",
        scheduled: datetime | None = None,
        request_id: str | None = None,
    ) -> AsyncEvent:
        """Accept an event now; it runs in the background. KeyError: no such function."""
        target = self.functions[function]
        event = AsyncEvent(
            request_id or str(uuid.uuid4()),
            function,
            payload,
            origin,
            datetime.now(UTC),
            scheduled,
            target.policy.max_retries + 1,
            sequence=next(self._sequence),
        )
        self.events.append(event)
        del self.events[: -self._keep]
        if self._closing:
            event.state = "stopped"
            return event
        task = asyncio.ensure_future(self._run(event, target))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        logger.info(
            "async %s %s accepted (%s)%s",
            function,
            event.request_id,
            origin,
            f", scheduled {event.scheduled:%H:%M:%S}" if event.scheduled else "",
        )
        return event

    def find(self, request_id: str) -> AsyncEvent | None:
        return next((e for e in self.events if e.request_id == request_id), None)

    async def _run(self, event: AsyncEvent, target: AsyncFunction) -> None:
        policy = target.policy
        due = time.monotonic()  # when the next attempt may start
        while True:
            remaining = policy.max_age - (time.monotonic() - event.accepted_at)
            if remaining <= 0:
                event.state, event.condition = "expired", "EventAgeExceeded"
                logger.warning(
                    "async %s %s dropped: older than %g s (MaximumEventAgeInSeconds) after "
                    "%d attempt(s)",
                    target.name,
                    event.request_id,
                    policy.max_age,
                    len(event.attempts),
                )
                await self._finish(event, target)
                return
            event.state = "queued"
            called = time.monotonic()
            outcome = await target.pool.invoke(event.request_id, event.payload, remaining)
            if outcome.failure == "throttled":
                continue  # its age ran out while it waited: dropped at the top
            if outcome.failure == "stopped":
                event.state = "stopped"
                return
            attempt = _attempt(len(event.attempts) + 1, due, called, outcome)
            event.attempts.append(attempt)
            event.answer = outcome.payload
            logger.info("%s", _log_line(event, attempt))
            if outcome.failure is None:
                event.state, event.condition = "succeeded", "Success"
                await self._finish(event, target)
                return
            if len(event.attempts) > policy.max_retries:
                event.state, event.condition = "failed", "RetriesExhausted"
                await self._finish(event, target)
                return
            delay = policy.delay(len(event.attempts))
            event.state = "retrying"
            logger.info(
                "async %s %s: retry %d of %d in %g s",
                target.name,
                event.request_id,
                len(event.attempts),
                policy.max_retries,
                delay,
            )
            await asyncio.sleep(min(delay, max(0.0, remaining)))
            due = time.monotonic()

    async def _finish(self, event: AsyncEvent, target: AsyncFunction) -> None:
        if self.deliver is not None:
            try:
                await self.deliver(event, target)
            except Exception as error:  # a destination's failure must not end the emulator
                logger.error(
                    "async %s %s: could not deliver its result: %s",
                    target.name,
                    event.request_id,
                    error,
                )

    def pending(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        """Stop accepting; events still queued or retrying end as "stopped"."""
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for event in self.events:
            if event.state in ("queued", "retrying"):
                event.state = "stopped"


def _attempt(number: int, due: float, called: float, outcome: Outcome) -> Attempt:
    """The attempt that `outcome` reports, timed from when it was due."""
    waited = (called - due) + outcome.queued_ms / 1000
    started = datetime.now(UTC).timestamp() - outcome.duration_ms / 1000
    return Attempt(
        number,
        waited,
        datetime.fromtimestamp(started, UTC),
        outcome.instance,
        outcome.cold,
        outcome.duration_ms,
        "success" if outcome.failure is None else outcome.failure,
        _failure_detail(outcome),
    )


def _failure_detail(outcome: Outcome) -> str:
    if outcome.failure == "error":
        try:
            shape = json.loads(outcome.payload)
            return f"{shape['errorType']}: {shape['errorMessage']}"
        except (ValueError, KeyError, TypeError):
            return "the handler raised"
    return outcome.detail


def _log_line(event: AsyncEvent, attempt: Attempt) -> str:
    """`async timer 3f2a... attempt 1/3 i-ab12 cold queued=4.2s duration=2001.3ms success`."""
    parts = [
        "async",
        event.function,
        event.request_id,
        f"attempt {attempt.number}/{event.max_attempts}",
        attempt.instance or "-",
    ]
    if attempt.instance:
        parts.append("cold" if attempt.cold else "warm")
    if event.scheduled is not None:
        late = (attempt.started - event.scheduled).total_seconds()
        parts.append(f"scheduled={event.scheduled:%H:%M:%S} started {late:.1f}s after")
    parts.append(f"queued={attempt.queued:.1f}s")
    parts.append(f"duration={attempt.duration_ms:.1f}ms")
    parts.append(attempt.result if attempt.result == "success" else f"error={attempt.result}")
    if attempt.detail:
        parts.append(f"({attempt.detail})")
    return " ".join(parts)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


__all__ = [
    "FUNCTION_FAILURES",
    "AsyncEvent",
    "AsyncFunction",
    "AsyncInvoker",
    "AsyncPolicy",
    "Attempt",
    "platform_policy",
]
