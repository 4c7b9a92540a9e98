"""The instance pool of the local emulator, modelled on the platform: each instance is an
OS process that imports the handler (a real cold start), serves invocations one at a time
(or `concurrency` at once, FC-style), stays warm `keep_alive` seconds after its last call
and is then reclaimed. New instances start only when every instance is busy, up to
`max_instances`; requests beyond wait in a queue. A stuck invocation is killed with its
instance after `timeout`; a crashed instance fails its invocations and is not reused.

Moves events in and answers out as bytes; never parses HTTP (that is the gateway's job).
Everything runs on one asyncio loop: a slot is reserved without awaiting, so two requests
can never take the same slot, and there are no locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from faasgi.local.calls import Call
from faasgi.local.frames import ERROR, START
from faasgi.local.instance import InstanceFailed, InstanceProcess, describe_exit

logger = logging.getLogger("faasgi.local.pool")

#: Seconds an instance has, after SIGTERM, to run its shutdown hooks before SIGKILL (the
#: platforms allow a few seconds at most; a laptop under load needs a little slack).
SHUTDOWN_GRACE = 3.0

#: Seconds a request waits for an instance that has answered and is ending its invocation
#: (see Pool._finishing) before another instance is started. Without work after the
#: response the end follows at once, but a loaded machine can deschedule the instance
#: between the two frames for tens of milliseconds (seen at 50 ms).
FINISHING_GRACE = 0.5

#: Called with the tables an instance declares (its `faasgi_tables()`), before it serves.
TablesDeclared = Callable[[list[Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """How the platform would run the function; defaults are Lambda's where it has one."""

    handler: str
    source: str = "aws-http"
    #: Seconds an idle instance stays warm before it is reclaimed.
    keep_alive: float = 120.0
    max_instances: int = 10
    #: Invocations one instance serves at once (FC's instance concurrency; Lambda: 1).
    concurrency: int = 1
    #: Seconds an invocation (or a cold start) may take before its instance is killed.
    timeout: float = 60.0
    #: A new instance for every invocation, stopped after it (worst-case scale-out).
    fresh: bool = False
    #: Variables instances get on top of the emulator's own environment.
    environment: Mapping[str, str] = field(default_factory=dict)
    #: Seconds an instance has, after SIGTERM, to run its shutdown hooks.
    shutdown_grace: float = SHUTDOWN_GRACE
    #: Seconds a request may wait for a free instance before it is throttled (429);
    #: None: as long as `timeout`.
    queue_timeout: float | None = None
    #: The folder instances run in (Lambda's /var/task, FC's /code); None: the current one.
    working_directory: str | None = None
    #: More `faasgi.local.worker` options (FC lifecycle hooks).
    worker_arguments: tuple[str, ...] = ()
    #: "awslambdaric" or "faasgi": run each instance as that Lambda runtime client against
    #: its own local Runtime API (faasgi.local.runtime_worker); None: faasgi's own worker.
    runtime_client: str | None = None


@dataclass(slots=True)
class Outcome:
    """What became of one invocation.

    `failure` is None when the function answered: `payload` is its answer (JSON). Else:
    "error" (the handler raised; `payload` is Lambda's error shape), "crash" (the instance
    died), "init" (the cold start failed), "timeout", "throttled" (no instance freed up in
    time), "stopped" (the emulator is shutting down).
    """

    instance: str
    cold: bool
    init_ms: float | None
    duration_ms: float
    queued_ms: float
    payload: bytes = b""
    failure: str | None = None
    detail: str = ""
    #: The invocation in flight when its answer is a stream (`payload` is then its head:
    #: the START frame's JSON); None for a whole answer.
    stream: Call | None = None


class PoolClosed(Exception):
    """The pool is shutting down and takes no more invocations."""


class Pool:
    """Instances of one function, started on demand and reused, as the platform does."""

    def __init__(self, settings: PoolSettings, tables_declared: TablesDeclared | None = None):
        if settings.max_instances < 1:
            raise ValueError("max_instances must be at least 1")
        if settings.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.settings = settings
        self.tables_declared = tables_declared
        #: Instances not yet gone, by id.
        self.instances: dict[str, InstanceProcess] = {}
        #: Cold starts so far.
        self.cold_starts = 0
        self._waiters: deque[asyncio.Future[InstanceProcess]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._used_ids: set[str] = set()
        self._reaper: asyncio.Task[None] | None = None
        self._closing = False
        self._closed: asyncio.Future[None] | None = None
        self._recheck: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        """Start reclaiming idle instances (call once, on the loop that will serve)."""
        if self._reaper is None and not self.settings.fresh:
            self._reaper = asyncio.create_task(self._reap())

    # -- invocations ----------------------------------------------------------------------

    async def invoke(self, request_id: str, event: bytes, patience: float | None = None) -> Outcome:
        """Run one invocation on a warm instance, a new one, or after waiting for one.

        `patience`: seconds to wait for a free instance before "throttled" (default: the
        settings'; asynchronous invocations wait as long as their event may live).
        """
        settings = self.settings
        queued = time.monotonic()
        if patience is None:
            patience = (
                settings.timeout if settings.queue_timeout is None else settings.queue_timeout
            )
        try:
            instance = await self._acquire(patience)
        except asyncio.TimeoutError:
            return Outcome(
                "",
                False,
                None,
                0.0,
                (time.monotonic() - queued) * 1000,
                failure="throttled",
                detail=f"all {settings.max_instances} instances stayed busy for {patience:g} s",
            )
        except PoolClosed:
            return Outcome("", False, None, 0.0, 0.0, failure="stopped", detail="shutting down")
        queued_ms = (time.monotonic() - queued) * 1000
        calls: list[Call] = []
        try:
            return await self._invoke_on(instance, request_id, event, queued_ms, calls)
        finally:
            # The instance is busy until the invocation is over (its work after the
            # response included), which may be long after the answer went out.
            if not calls:
                self._release(instance)
            else:
                call = calls[0]
                call.when_over(lambda over: self._finished(instance, call, over))

    def _finished(self, instance: InstanceProcess, call: Call, over: asyncio.Future[None]) -> None:
        timed_out = not over.cancelled() and isinstance(over.exception(), asyncio.TimeoutError)
        if timed_out and call.answered_at is not None:  # before the answer: _invoke_on's
            timeout = self.settings.timeout
            logger.warning(
                "%s: invocation timed out after %g s, after its answer: instance killed",
                instance.id,
                timeout,
            )
            instance.kill()
        self._release(instance)

    async def _invoke_on(
        self,
        instance: InstanceProcess,
        request_id: str,
        event: bytes,
        queued_ms: float,
        calls: list[Call],
    ) -> Outcome:
        timeout = self.settings.timeout
        try:
            if instance.ready.done():
                instance.ready.result()  # raises InstanceFailed if its init failed
            else:  # a cold start in progress
                await asyncio.wait_for(asyncio.shield(instance.ready), timeout)
        except asyncio.TimeoutError:
            logger.warning("%s: init took over %g s: killed", instance.id, timeout)
            instance.kill()
            return Outcome(instance.id, True, None, timeout * 1000, queued_ms, failure="timeout")
        except InstanceFailed as error:
            return Outcome(
                instance.id, True, None, 0.0, queued_ms, failure="init", detail=str(error)
            )
        cold = instance.served == 0
        instance.served += 1
        init_ms = instance.init_ms if cold else None
        started = time.monotonic()
        try:
            call = instance.call(request_id, event, timeout)
            calls.append(call)
            kind, meta, body = await asyncio.shield(call.answer)
        except asyncio.TimeoutError:
            logger.warning(
                "%s: invocation timed out after %g s: instance killed", instance.id, timeout
            )
            instance.kill()
            detail = f"Task timed out after {timeout:.2f} seconds"
            return Outcome(
                instance.id,
                cold,
                init_ms,
                timeout * 1000,
                queued_ms,
                failure="timeout",
                detail=detail,
            )
        except InstanceFailed as error:
            elapsed = (time.monotonic() - started) * 1000
            failure, detail = (
                ("stopped", "shutting down") if self._closing else ("crash", str(error))
            )
            return Outcome(
                instance.id, cold, init_ms, elapsed, queued_ms, failure=failure, detail=detail
            )
        return Outcome(
            instance.id,
            cold,
            init_ms,
            float(meta or 0),
            queued_ms,
            body,
            failure="error" if kind == ERROR else None,
            stream=call if kind == START else None,
        )

    # -- slots ------------------------------------------------------------------------------

    async def _acquire(self, timeout: float) -> InstanceProcess:
        """An instance with a slot reserved for the caller; waits in FIFO order if none."""
        if self._closing:
            raise PoolClosed
        while self._waiters and self._waiters[0].done():
            self._waiters.popleft()
        if not self._waiters:
            instance = self._reserve()
            if instance is not None:
                return instance
        waiter: asyncio.Future[InstanceProcess] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._release(waiter.result())  # handed a slot just as the caller gave up
            else:
                waiter.cancel()
            raise

    def _reserve(self) -> InstanceProcess | None:
        """Take a slot on the best instance, or start one; None when at the limit."""
        settings = self.settings
        if not settings.fresh:
            best: InstanceProcess | None = None
            for instance in self.instances.values():
                if instance.state not in ("ready", "starting") or instance.retire:
                    continue
                if instance.busy >= settings.concurrency:
                    continue
                # Fill an instance before using another (FC), then the most recently used
                # one, so the others go idle and are reclaimed, as on the platform.
                if best is None or (instance.busy, instance.last_used) > (
                    best.busy,
                    best.last_used,
                ):
                    best = instance
            if best is not None:
                best.busy += 1
                return best
        if self.live_count() >= settings.max_instances or (
            not settings.fresh and self._finishing()
        ):
            return None
        instance = self._start_instance()
        instance.busy = 1
        if settings.fresh:
            instance.retire = True
        return instance

    def _finishing(self) -> bool:
        """Whether an instance has just answered everything it runs and is only finishing
        its invocations: its end (DONE) follows at once unless work after the response
        runs. A request then waits up to FINISHING_GRACE for it rather than cold-starting
        another instance, so back-to-back requests find the warm one, as on the platform,
        where the client's round trip is far longer than that gap."""
        now = asyncio.get_running_loop().time()
        for instance in self.instances.values():
            answered = instance.answered_since()
            if answered is not None and now - answered < FINISHING_GRACE:
                if self._recheck is None:
                    self._recheck = asyncio.get_running_loop().call_later(
                        FINISHING_GRACE, self._recheck_waiters
                    )
                return True
        return False

    def _recheck_waiters(self) -> None:
        self._recheck = None
        self._dispatch()

    def _release(self, instance: InstanceProcess) -> None:
        instance.busy -= 1
        instance.last_used = time.monotonic()
        if instance.busy == 0 and instance.retire and instance.state in ("ready", "starting"):
            self._stop(instance)
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand freed slots (or room for a new instance) to waiting requests, in order."""
        while self._waiters:
            waiter = self._waiters[0]
            if waiter.done():
                self._waiters.popleft()
                continue
            instance = self._reserve()
            if instance is None:
                return
            self._waiters.popleft()
            waiter.set_result(instance)

    def live_count(self) -> int:
        """Instances starting or ready (what counts against `max_instances`)."""
        return sum(1 for i in self.instances.values() if i.state in ("starting", "ready"))

    # -- instances --------------------------------------------------------------------------

    def _start_instance(self) -> InstanceProcess:
        instance = InstanceProcess(self, self._new_id())
        self.instances[instance.id] = instance
        self.cold_starts += 1
        self._track(instance.run())
        return instance

    def _new_id(self) -> str:
        while True:
            instance_id = "i-" + os.urandom(2).hex()
            if instance_id not in self._used_ids:
                self._used_ids.add(instance_id)
                return instance_id

    def _track(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stop(self, instance: InstanceProcess) -> None:
        """Stop an instance in the background; its slots are gone at once."""
        if instance.state in ("stopping", "gone"):
            return
        instance.state = "stopping"
        self._track(instance.stop(self.settings.shutdown_grace))
        self._dispatch()

    def instance_gone(self, instance: InstanceProcess) -> None:
        """Called by an instance whose process has ended."""
        self.instances.pop(instance.id, None)
        if not self._closing:
            self._dispatch()

    async def _reap(self) -> None:
        keep_alive = self.settings.keep_alive
        interval = min(1.0, max(0.05, keep_alive / 4))
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for instance in list(self.instances.values()):
                idle = now - instance.last_used
                if instance.state == "ready" and instance.busy == 0 and idle >= keep_alive:
                    logger.info("%s: reclaimed after %.0f s idle", instance.id, idle)
                    self._stop(instance)

    def recycle(self) -> int:
        """Retire every instance (reload): idle ones stop now, busy ones after their call.

        The next request starts a new instance, which imports the code afresh.
        """
        count = 0
        for instance in list(self.instances.values()):
            if instance.state not in ("starting", "ready"):
                continue
            count += 1
            instance.retire = True
            if instance.busy == 0:
                self._stop(instance)
        return count

    def in_flight(self) -> int:
        """Invocations running or about to run (slots taken)."""
        return sum(instance.busy for instance in self.instances.values())

    async def close(self, grace: float | None = None) -> None:
        """Stop every instance (SIGTERM, then SIGKILL after `grace`), and wait for them.

        Invocations still running end as "stopped". Calling it again waits for the same
        closing (`grace=0` kills what is still running).
        """
        if self._closed is not None:
            if grace == 0:
                for instance in list(self.instances.values()):
                    instance.kill()
            await asyncio.shield(self._closed)
            return
        self._closed = asyncio.get_running_loop().create_future()
        self._closing = True
        try:
            if self._reaper is not None:
                self._reaper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reaper
            while self._waiters:
                waiter = self._waiters.popleft()
                if not waiter.done():
                    waiter.set_exception(PoolClosed())
            grace = self.settings.shutdown_grace if grace is None else grace
            await asyncio.gather(*(i.stop(grace) for i in list(self.instances.values())))
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
                # Python 3.12's gather completes at once when every task is done, so the
                # discard callbacks may not have run yet: drop finished tasks here.
                self._tasks.difference_update([task for task in self._tasks if task.done()])
        finally:
            self._closed.set_result(None)


__all__ = [
    "InstanceFailed",
    "InstanceProcess",
    "Outcome",
    "Pool",
    "PoolClosed",
    "PoolSettings",
    "describe_exit",
]
