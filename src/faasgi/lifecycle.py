"""The two phases of a FaaS function, kept apart: an `Instance` is set up once (cold start:
app factory, init hooks, ASGI lifespan) and shut down once; an `Invocation` is one event,
with its request id, its trigger time read from the event and its deadline.

Init work never runs per request, and per-request values never come from init time.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # `signal` builds IntEnums: 1 ms a cold start
import _thread
import atexit
import os
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from itertools import count
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from faasgi.errors import AppNotReady, OutsideInvocation
from faasgi.logs import get_logger

if TYPE_CHECKING:  # annotations only: building these costs every cold start
    Hook = Callable[[], Any]
    H = TypeVar("H", bound=Hook)
    from datetime import datetime

    from faasgi.asgi import ASGIRunner
    from faasgi.wsgi import WSGIRunner

logger = get_logger("faasgi.lifecycle")
#: `finish()`'s logger: after_response problems are reported as "faasgi", as they were
#: before the function moved here from `faasgi.sinks`.
after_logger = get_logger("faasgi")


_FC_SOURCES = frozenset({"fc-http", "fc-wsgi", "fc-timer", "oss"})

_current: ContextVar[Invocation] = ContextVar("faasgi.invocation")


def current_invocation() -> Invocation:
    """The invocation being served by this thread or task.

    Raises `OutsideInvocation` at import or init time: a value computed there is shared by
    every later invocation of the instance (the init-time clock bug).
    """
    try:
        return _current.get()
    except LookupError:
        raise OutsideInvocation(
            "no invocation is running: current_invocation() was called outside a handler "
            "(at import or init time?). Per-request values such as the time must be read "
            "inside the handler."
        ) from None


def after_response(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Run `function(*args, **kwargs)` once the current invocation's response is delivered.

    Under `faasgi.runtime` it runs after the response was posted to Lambda (the client has
    its answer) and before the next event, within the invocation's deadline; on a managed
    runtime it runs just before the handler returns. An `async def` function runs on the
    app's event loop. Errors are logged, never sent to the client.
    """
    invocation = current_invocation()
    if invocation.after is None:
        invocation.after = []
    invocation.after.append((function, args, kwargs))


class Invocation:
    """One event being handled. Cheap to create; everything derived is computed on use."""

    __slots__ = ("_request_id", "after", "cold", "context", "event", "source", "started")

    def __init__(self, event: Mapping[str, Any], context: Any, source: str, cold: bool) -> None:
        self.event = event
        self.context = context
        #: Event source name: "aws-http", "alb", "fc-http", "sqs", "schedule", ...
        self.source = source
        #: True only for the first invocation an instance serves.
        self.cold = cold
        #: time.monotonic() when faasgi received the event.
        self.started = time.monotonic()
        self._request_id: str | None = None
        #: Work registered with `after_response`, as (function, args, kwargs).
        self.after: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] | None = None

    def __repr__(self) -> str:
        return f"<Invocation {self.source} {self.request_id} cold={self.cold}>"

    @property
    def platform(self) -> str:
        """ "fc" for Alibaba Function Compute, "aws" otherwise."""
        if self.source in _FC_SOURCES or hasattr(self.context, "function"):
            return "fc"
        return "aws"

    @property
    def request_id(self) -> str:
        if self._request_id is None:
            context = self.context
            found = getattr(context, "aws_request_id", None) or getattr(context, "request_id", None)
            if not found:
                request_context = self.event.get("requestContext")
                if isinstance(request_context, dict):
                    found = request_context.get("requestId")
            self._request_id = str(found) if found else os.urandom(16).hex()
        return self._request_id

    @property
    def trigger_time(self) -> datetime:
        """When the platform triggered this invocation, read from the event.

        Events without a time field (ALB) fall back to when faasgi received the event.
        """
        from datetime import datetime, timezone  # not at import: every cold start pays it

        from faasgi.triggers import trigger_epoch_ms  # only functions that ask pay for it

        epoch_ms = trigger_epoch_ms(self.event)
        if epoch_ms is None:
            received = time.time() - (time.monotonic() - self.started)
            return datetime.fromtimestamp(received, tz=timezone.utc)
        return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)

    def remaining_ms(self) -> int | None:
        """Milliseconds left before the platform stops this invocation; None if unknown."""
        context = self.context
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is not None:
            return int(remaining())
        # FC's context has no clock: its function timeout counts from the start of the call.
        timeout = getattr(getattr(context, "function", None), "timeout", None)
        if isinstance(timeout, (int, float)) and timeout > 0:
            elapsed = time.monotonic() - self.started
            return max(0, int((timeout - elapsed) * 1000))
        return None

    def after_response_budget(self) -> float | None:
        """Seconds left for work after the response (50 ms kept for the runtime to ask for
        the next event in time); None when the platform gives no deadline."""
        remaining = self.remaining_ms()
        if remaining is None:
            return None
        return max(0.0, remaining / 1000 - 0.05)

    @property
    def deadline(self) -> datetime | None:
        """Wall-clock time at which the platform stops this invocation; None if unknown."""
        remaining = self.remaining_ms()
        if remaining is None:
            return None
        from datetime import datetime, timezone

        return datetime.fromtimestamp(time.time() + remaining / 1000, tz=timezone.utc)


class Hooks:
    """Functions to run once when an instance starts, and once when it stops.

    A hook registered after the start has happened runs at once, so definition order in a
    module (decorator above or below `@serverless`) does not decide whether it runs.
    """

    def __init__(self) -> None:
        self.init: list[Hook] = []
        self.shutdown: list[Hook] = []
        self._started = False
        self._runner: WSGIRunner | ASGIRunner | None = None

    def on_init(self, hook: H) -> H:
        self.init.append(hook)
        if self._started:
            run_hooks([hook], self._runner, "init")
        return hook

    def on_shutdown(self, hook: H) -> H:
        self.shutdown.append(hook)
        return hook

    def run_init(self, runner: WSGIRunner | ASGIRunner | None) -> None:
        self._started = True
        self._runner = runner
        run_hooks(self.init, runner, "init")


#: Hooks registered with `faasgi.on_init` / `faasgi.on_shutdown`: once per process.
process_hooks = Hooks()
on_init = process_hooks.on_init
on_shutdown = process_hooks.on_shutdown


def _stop_quietly(runner: WSGIRunner | ASGIRunner) -> None:
    try:
        runner.shutdown()
    except Exception:
        logger.exception("shutting down a runner whose init failed")


class Instance:
    """One instance of the function: its app, runner, cold flag, init and shutdown.

    `init()` and `shutdown()` each do their work once, however often and from however many
    threads they are called (import, FC `initializer`, first invocation; SIGTERM, FC
    `preStop`, interpreter exit).
    """

    def __init__(self, build: Callable[[], WSGIRunner | ASGIRunner], hooks: Hooks) -> None:
        self._build = build
        self.hooks = hooks
        self.runner: WSGIRunner | ASGIRunner | None = None
        self.init_ms: float | None = None
        #: Counts invocations: `next(instance.invocations) == 0` only for the first.
        self.invocations = count()
        self._lock = _thread.RLock()
        self._stopped = False
        _live_instances.add(self)

    @property
    def ready(self) -> bool:
        return self.runner is not None

    def init(self) -> WSGIRunner | ASGIRunner:
        runner = self.runner
        if runner is not None:
            return runner
        with self._lock:
            if self.runner is not None:
                return self.runner
            if self._stopped:
                raise AppNotReady("this instance has been shut down")
            started = time.perf_counter()
            _process.start()
            runner = None
            try:
                runner = self._build()
                runner.startup()
                self.hooks.run_init(runner)
            except Exception as error:
                if runner is not None:
                    # The next invocation builds a new runner: stop this one's lifespan and
                    # close its loop now (a no-op if its own startup failed and did so).
                    _stop_quietly(runner)
                if isinstance(error, AppNotReady):
                    raise
                raise AppNotReady(f"instance init failed: {error!r}") from error
            self.init_ms = (time.perf_counter() - started) * 1000
            self.runner = runner
            logger.debug("instance ready in %.1f ms", self.init_ms)
            return runner

    def next_is_cold(self) -> bool:
        """True for the first invocation only (`next` on a count is atomic under the GIL)."""
        return next(self.invocations) == 0

    def shutdown(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            _live_instances.discard(self)
            runner = self.runner
            if runner is None:
                return
            try:
                run_hooks(self.hooks.shutdown, runner, "shutdown", keep_going=True)
            finally:
                runner.shutdown()


def run_hooks(
    hooks: list[Hook], runner: WSGIRunner | ASGIRunner | None, phase: str, keep_going: bool = False
) -> None:
    """Call each hook; a coroutine a hook returns runs on the ASGI app's loop."""
    for hook in hooks:
        try:
            result = hook()
            if _is_awaitable(result):
                loop = getattr(runner, "loop", None)
                if loop is None:
                    result.close()
                    raise TypeError(
                        f"{phase} hook {hook!r} is async, but a WSGI app has no event loop"
                    )
                loop.run(result)
        except Exception:
            if not keep_going:
                raise
            logger.exception("%s hook %r failed", phase, hook)


def _is_awaitable(value: Any) -> bool:
    return hasattr(value, "__await__") and hasattr(value, "close")


class _Process:
    """Process-wide shutdown triggers, installed once when the first instance starts."""

    def __init__(self) -> None:
        self._started = False
        self._stopped = False
        self._lock = _thread.RLock()
        self._previous_sigterm: Any = None

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            process_hooks.run_init(None)
            atexit.register(self.shutdown)
            try:
                self._previous_sigterm = _signal.signal(_signal.SIGTERM, self._on_sigterm)
            except (ValueError, OSError):  # not the main thread; embedded interpreters refuse
                self._previous_sigterm = None
            if "AWS_LAMBDA_RUNTIME_API" in os.environ and "FAASGI_RUNTIME" not in os.environ:
                # On AWS's managed runtime: make Lambda send SIGTERM (faasgi.runtime
                # registers by itself, before its first /next).
                from faasgi.runtime.extension import register_on_managed_runtime

                register_on_managed_runtime()

    def shutdown(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        for instance in list(_live_instances):
            try:
                instance.shutdown()
            except Exception:
                logger.exception("instance shutdown failed")
        run_hooks(process_hooks.shutdown, None, "shutdown", keep_going=True)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.shutdown()
        previous = self._previous_sigterm
        if callable(previous):
            previous(signum, frame)
        elif previous != _signal.SIG_IGN:
            # Default action: die of SIGTERM, as the platform expects.
            _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
            os.kill(os.getpid(), _signal.SIGTERM)


#: Instances not yet shut down. Strong references: an instance lives until it is shut down
#: or the process ends, so its lifespan always gets its shutdown (a pending lifespan task
#: that is garbage-collected instead never runs its cleanup).
_live_instances: set[Instance] = set()
_process = _Process()


def shutdown_process() -> None:
    """Shut down every instance in this process, then run `faasgi.on_shutdown` hooks; once."""
    _process.shutdown()


# -- the work after the response ---------------------------------------------------------------


def finish(invocation: Invocation, runner: Any) -> None:
    """The functions registered with `faasgi.after_response`, run after the app's own work
    after the response (`Reply.close()`), skipped and logged once the deadline is near."""
    after = invocation.after
    if not after:
        return
    invocation.after = None
    for position, (function, args, kwargs) in enumerate(after):
        budget = invocation.after_response_budget()
        if budget is not None and budget <= 0:
            after_logger.warning(
                "the deadline is reached: %d after_response function(s) not run, from %r on",
                len(after) - position,
                function,
            )
            return
        try:
            result = function(*args, **kwargs)
            if hasattr(result, "__await__") and hasattr(result, "close"):
                _run_async(result, runner, budget)
        except Exception:
            after_logger.exception("after_response function %r failed", function)


_side_loop: Any = None


def loop_for(runner: Any) -> Any:
    """The ASGI app's instance loop; for a WSGI app, one loop for its async functions."""
    global _side_loop
    loop = getattr(runner, "loop", None)
    if loop is None:  # made once, never per call
        if _side_loop is None:
            from faasgi.instance_loop import InstanceLoop

            _side_loop = InstanceLoop()
        loop = _side_loop
    return loop


def _run_async(coroutine: Any, runner: Any, budget: float | None) -> None:
    import asyncio

    started = time.monotonic()
    try:
        loop_for(runner).run(asyncio.wait_for(coroutine, budget))
    except asyncio.TimeoutError:
        after_logger.warning(
            "after_response work cut after %.3g s (the invocation's deadline)",
            time.monotonic() - started,
        )
