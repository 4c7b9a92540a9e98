"""Run an ASGI app: one event loop per instance, the lifespan started once per instance
(mangum starts and stops it on every invocation, its issue #342), one HTTP cycle per
invocation, handed back as a `Reply` as soon as the app starts its response; each body
chunk reaches the consumer as the app sends it, and the app's code after its last body
message (Starlette background tasks) runs only when the consumer calls `close()`.

Never creates a loop per call (`asyncio.run` per invocation breaks loop-bound clients).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from asyncio import events as asyncio_events
from collections.abc import Awaitable, Callable, Coroutine, Iterator, MutableMapping
from contextvars import Context
from types import CoroutineType
from typing import Any, Literal, TypeVar

from faasgi.errors import AppNotReady
from faasgi.http import Reply, Request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
LifespanMode = Literal["auto", "on", "off"]

T = TypeVar("T")

logger = logging.getLogger("faasgi.asgi")

#: spec_version 2.4: `receive()` blocks until the response is sent, then reports a
#: disconnect, so Starlette streams without a disconnect-watching task (Zappa answers the
#: second `receive()` at once and gets empty StreamingResponse bodies).
HTTP_ASGI = {"version": "3.0", "spec_version": "2.4"}
LIFESPAN_ASGI = {"version": "3.0", "spec_version": "2.0"}


class _EagerLoop(asyncio.SelectorEventLoop):
    """An event loop that lets its owner run a new task's first step at once.

    Most ASGI requests complete without waiting on I/O; running the first step directly,
    with this loop set as the running loop and the task as the current task, skips two
    turns of the loop (about 10 us per invocation). A task that does wait is then driven
    by `run_until_complete` as usual, so nothing about its semantics changes.
    """

    _capture: list[tuple[Callable[..., object], tuple[Any, ...], Context | None]] | None = None
    _ready: Any  # BaseEventLoop's deque of callbacks ready to run (CPython 3.10-3.14)

    def call_soon(  # type: ignore[override]
        self, callback: Callable[..., object], *args: Any, context: Context | None = None
    ) -> asyncio.Handle:
        capture = self._capture
        if capture is not None:
            # The first step of the task being created: hold it back for `InstanceLoop.run`.
            # Task.__init__ discards the handle call_soon returns, so none is built.
            self._capture = None
            capture.append((callback, args, context))
            return None  # type: ignore[return-value]
        return super().call_soon(callback, *args, context=context)


async def _one_turn() -> None:
    await asyncio.sleep(0)


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def _started(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    task = asyncio.get_running_loop().create_task(coro)
    await asyncio.sleep(0)  # its first step, as the eager path gives it
    return task


async def _finish(task: asyncio.Task[Any], timeout: float | None) -> bool:
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if done:
        return True
    task.cancel()
    await asyncio.wait({task})
    return False


async def _release_and_finish(
    task: asyncio.Task[Any], waiting: asyncio.Future[None], timeout: float | None
) -> bool:
    if not waiting.done():
        waiting.set_result(None)
    return await _finish(task, timeout)


class InstanceLoop:
    """The instance's one event loop, safe to drive from several threads.

    Lambda calls the handler from one thread; FC with instance concurrency > 1 calls it
    from many at once. The thread that finds the loop free runs it; the others hand their
    coroutine over and wait, taking the loop when it is released before they are done.
    """

    def __init__(self) -> None:
        self.loop = _EagerLoop()
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._waiters: set[threading.Event] = set()
        self._waiters_lock = threading.Lock()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._lock.acquire(blocking=False):
            self._owner = threading.get_ident()
            try:
                return self._run_owned(coro)
            finally:
                self._owner = None
                self._release()
        if self._owner == threading.get_ident():
            # Re-entered from the thread that runs the loop: a signal handler (SIGTERM
            # during an invocation). Waiting for the loop here would wait for ourselves.
            coro.close()
            raise RuntimeError("the instance's event loop is busy in this very thread")
        return self._run_shared(coro)

    def _run_owned(self, coro: Coroutine[Any, Any, T]) -> T:
        task = self._step_eagerly(coro)
        if task.done():
            return task.result()
        return self.loop.run_until_complete(task)

    def _step_eagerly(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Create the task and run its first step at once (the loop's lock is held)."""
        loop = self.loop
        first_step: list[tuple[Callable[..., object], tuple[Any, ...], Context | None]] = []
        loop._capture = first_step
        try:
            task = loop.create_task(coro)
        finally:
            loop._capture = None
        if first_step:  # _call_directly, inlined: this is every invocation's path
            callback, args, context = first_step[0]
            outer = asyncio_events._get_running_loop()
            asyncio_events._set_running_loop(loop)
            try:
                if context is None:
                    callback(*args)
                else:
                    context.run(callback, *args)
            finally:
                asyncio_events._set_running_loop(outer)
            if loop._ready and task.done():
                # The app scheduled callbacks or tasks: give them the turn of the loop they
                # would have had.
                loop.run_until_complete(_one_turn())
        return task

    def _call_directly(
        self,
        step: tuple[Callable[..., object], tuple[Any, ...], Context | None],
        task: asyncio.Task[Any],
    ) -> None:
        loop = self.loop
        callback, args, context = step
        outer = asyncio_events._get_running_loop()
        asyncio_events._set_running_loop(loop)
        try:
            if context is None:
                callback(*args)
            else:
                context.run(callback, *args)
        finally:
            asyncio_events._set_running_loop(outer)
        if task.done() and loop._ready:
            # The app scheduled callbacks or tasks: give them the turn of the loop they
            # would have had.
            loop.run_until_complete(_one_turn())

    def start(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Start `coro` as a task and run it as far as it goes without waiting; the caller
        drives it on with `run(...)` or `resume(...)`."""
        if self._lock.acquire(blocking=False):
            self._owner = threading.get_ident()
            try:
                return self._step_eagerly(coro)
            finally:
                self._owner = None
                self._release()
        if self._owner == threading.get_ident():
            coro.close()
            raise RuntimeError("the instance's event loop is busy in this very thread")
        return self._run_shared(_started(coro))

    def resume(
        self,
        task: asyncio.Task[Any],
        waiting: asyncio.Future[None],
        budget: Callable[[], float | None] | None,
    ) -> bool:
        """Resolve the future `task` waits on and run the task to its end, for at most
        `budget()` seconds (then cancel it). True when it ended in time."""
        if self._lock.acquire(blocking=False):
            self._owner = threading.get_ident()
            try:
                loop = self.loop
                wakeup: list[tuple[Callable[..., object], tuple[Any, ...], Context | None]] = []
                loop._capture = wakeup
                try:
                    waiting.set_result(None)
                finally:
                    loop._capture = None
                if wakeup:
                    self._call_directly(wakeup[0], task)
                if task.done():
                    return True
                timeout = budget() if budget is not None else None
                return loop.run_until_complete(_finish(task, timeout))
            finally:
                self._owner = None
                self._release()
        if self._owner == threading.get_ident():
            raise RuntimeError("the instance's event loop is busy in this very thread")
        timeout = budget() if budget is not None else None
        return self._run_shared(_release_and_finish(task, waiting, timeout))

    def _run_shared(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        wake = threading.Event()
        future.add_done_callback(lambda _: wake.set())
        with self._waiters_lock:
            self._waiters.add(wake)
        try:
            while not future.done():
                wake.clear()
                if self._lock.acquire(blocking=False):
                    self._owner = threading.get_ident()
                    try:
                        if not future.done():
                            self.loop.run_until_complete(
                                asyncio.wrap_future(future, loop=self.loop)
                            )
                    finally:
                        self._owner = None
                        self._release()
                elif not future.done():
                    wake.wait()
        finally:
            with self._waiters_lock:
                self._waiters.discard(wake)
        return future.result()

    def _release(self) -> None:
        self._lock.release()
        if self._waiters:
            with self._waiters_lock:
                waiters = list(self._waiters)
            for waiter in waiters:
                waiter.set()

    def close(self, timeout: float = 10.0) -> None:
        """Cancel what is left, finish async generators and the executor, close the loop.

        Gives up (RuntimeError) rather than wait forever when the loop is busy: in this
        very thread (a signal handler interrupted an invocation), or past `timeout`.
        """
        loop = self.loop
        if loop.is_closed():
            return
        if self._owner == threading.get_ident():
            raise RuntimeError("the instance's event loop is busy in this very thread")
        if not self._lock.acquire(timeout=timeout):
            raise RuntimeError(f"the instance's event loop stayed busy for {timeout:g} s")
        self._owner = threading.get_ident()
        try:
            try:
                pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
        finally:
            self._owner = None
            self._lock.release()


class Lifespan:
    """The ASGI lifespan protocol, started once and shut down once per instance."""

    def __init__(
        self,
        app: ASGIApp,
        loop: InstanceLoop,
        mode: LifespanMode = "auto",
        *,
        startup_timeout: float = 60.0,
        shutdown_timeout: float = 10.0,
    ) -> None:
        if mode not in ("auto", "on", "off"):
            raise ValueError(f"lifespan must be 'auto', 'on' or 'off', not {mode!r}")
        self.app = app
        self.mode = mode
        self.state: dict[str, Any] = {}
        #: True once the app answered `lifespan.startup.complete`.
        self.running = False
        self._loop = loop
        self._startup_timeout = startup_timeout
        self._shutdown_timeout = shutdown_timeout
        self._queue: asyncio.Queue[Message] | None = None
        self._started: asyncio.Future[tuple[str, str]] | None = None
        self._stopped: asyncio.Future[tuple[str, str]] | None = None
        self._task: asyncio.Task[None] | None = None

    def startup(self) -> None:
        if self.mode != "off":
            self._loop.run(self._startup())

    def shutdown(self) -> None:
        if self.running:
            self.running = False
            self._loop.run(self._shutdown())

    async def _startup(self) -> None:
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._started = loop.create_future()
        self._stopped = loop.create_future()
        self._task = loop.create_task(self._main())
        self._queue.put_nowait({"type": "lifespan.startup"})
        waiting: set[asyncio.Future[Any]] = {self._started, self._task}
        await asyncio.wait(
            waiting,
            timeout=self._startup_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if self._started.done():
            outcome, message = self._started.result()
            if outcome == "complete":
                self.running = True
                return
            if outcome == "failed":
                raise AppNotReady(f"ASGI lifespan startup failed: {message or 'no message'}")
        if not self._task.done():
            self._task.cancel()
            raise AppNotReady(
                f"ASGI lifespan startup did not finish within {self._startup_timeout:g} s"
            )
        error = self._task.exception()
        if self.mode == "on":
            raise AppNotReady(
                "lifespan='on' but the app does not run the ASGI lifespan protocol"
                + (f": {error!r}" if error else "")
            ) from error
        logger.debug("the app does not support the ASGI lifespan protocol: %r", error)

    async def _shutdown(self) -> None:
        assert self._queue is not None and self._stopped is not None and self._task is not None
        self._queue.put_nowait({"type": "lifespan.shutdown"})
        waiting: set[asyncio.Future[Any]] = {self._stopped, self._task}
        await asyncio.wait(
            waiting,
            timeout=self._shutdown_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if not self._stopped.done():
            if not self._task.done():
                self._task.cancel()
            logger.warning(
                "ASGI lifespan shutdown did not complete within %g s", self._shutdown_timeout
            )
            return
        outcome, message = self._stopped.result()
        if outcome == "failed":
            logger.error("ASGI lifespan shutdown failed: %s", message or "no message")

    async def _main(self) -> None:
        scope = {"type": "lifespan", "asgi": dict(LIFESPAN_ASGI), "state": self.state}
        try:
            await self.app(scope, self._receive, self._send)
        except asyncio.CancelledError:
            raise
        except Exception:
            if self._started is not None and self._started.done():
                logger.exception("the ASGI lifespan task raised")
            else:
                raise
        finally:
            for future in (self._started, self._stopped):
                if future is not None and not future.done():
                    future.set_result(("returned", ""))

    async def _receive(self) -> Message:
        assert self._queue is not None
        return await self._queue.get()

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if kind in ("lifespan.startup.complete", "lifespan.startup.failed"):
            future = self._started
        elif kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
            future = self._stopped
        else:
            raise RuntimeError(f"unexpected ASGI lifespan message {kind!r}")
        if future is not None and not future.done():
            outcome = "failed" if kind.endswith(".failed") else "complete"
            future.set_result((outcome, str(message.get("message", ""))))


class HTTPCycle(Reply):
    """One request/response exchange with the app, consumed as a `Reply`.

    `send` only records what the app sends and wakes a waiting consumer; the consumer
    drives the loop (`InstanceLoop.run`) while it waits for more. The last body message
    suspends the app until `close()`: what the app does after its response runs after the
    consumer has delivered it.
    """

    __slots__ = (
        "_body",
        "_chunks",
        "_disconnect",
        "_instance_loop",
        "_released",
        "_request_sent",
        "_wake",
        "complete",
        "hold",
        "task",
    )

    def __init__(self, body: bytes, instance_loop: InstanceLoop, hold: bool) -> None:
        self.status = 0  # set by 'http.response.start'
        self.headers = []
        self.omit_body = False
        self._body = body
        self._instance_loop = instance_loop
        self._request_sent = False
        self._disconnect: asyncio.Future[None] | None = None
        self._released: asyncio.Future[None] | None = None
        self._wake: asyncio.Future[None] | None = None
        self._chunks: list[bytes] = []
        self.complete = False
        #: Suspend the app at its last body message until `close()`.
        self.hold = hold
        self.task: asyncio.Task[None] | None = None

    async def receive(self) -> Message:
        if not self._request_sent:
            self._request_sent = True
            return {"type": "http.request", "body": self._body, "more_body": False}
        # The client has sent everything; it "leaves" only once the response is complete.
        if not self.complete:
            if self._disconnect is None:
                self._disconnect = self._instance_loop.loop.create_future()
            await self._disconnect
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            if not self.status:
                raise RuntimeError("'http.response.body' sent before 'http.response.start'")
            if self.complete:
                raise RuntimeError("'http.response.body' sent after the response was complete")
            body = message.get("body", b"")
            if body:
                self._chunks.append(bytes(body))
            if message.get("more_body", False):
                if body and self._wake is not None:
                    self._notify()
                return
            self.complete = True
            if self._disconnect is not None and not self._disconnect.done():
                self._disconnect.set_result(None)
            if self._wake is not None:
                self._notify()
            if self.hold:
                # Work after the response waits until the consumer has delivered it.
                released = self._released = self._instance_loop.loop.create_future()
                await released
        elif kind == "http.response.start":
            if self.status != 0:
                raise RuntimeError("'http.response.start' sent twice")
            self.status = int(message["status"])
            names = _RESPONSE_NAMES
            raw = message.get("headers", ())
            try:
                self.headers = [
                    (names.get(name) or _response_name(name), value.decode()) for name, value in raw
                ]
            except UnicodeDecodeError:
                self.headers = [
                    (names.get(name) or _response_name(name), _text(value)) for name, value in raw
                ]
            if self._wake is not None:
                self._notify()
        else:
            raise RuntimeError(f"unsupported ASGI message type {kind!r}")

    # -- the consumer's side (any thread) ---------------------------------------------------

    def _notify(self, _: object = None) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def _until(self, condition: Callable[[], bool]) -> None:
        # Checked on the loop's thread: nothing the app sends in between is missed.
        while not condition():
            self._wake = self._instance_loop.loop.create_future()
            try:
                await self._wake
            finally:
                self._wake = None

    def _wait(self, condition: Callable[[], bool]) -> None:
        task = self.task
        assert task is not None
        if not condition():
            self._instance_loop.run(self._until(condition))

    def _failed(self) -> BaseException:
        """Why the app stopped before its response was complete."""
        task = self.task
        assert task is not None and task.done()
        if task.cancelled():
            return asyncio.CancelledError()
        error = task.exception()
        if error is not None:
            return error
        if not self.status:
            return RuntimeError("the ASGI app returned without sending 'http.response.start'")
        return RuntimeError(
            "the ASGI app returned before its last 'http.response.body' (more_body=False)"
        )

    def _produce(self) -> Iterator[bytes]:
        task = self.task
        assert task is not None
        while True:
            chunks = self._chunks
            if chunks:
                self._chunks = []
                yield from chunks
            elif self.complete:
                return
            elif task.done():
                raise self._failed()
            else:
                self._wait(lambda: bool(self._chunks) or self.complete or task.done())

    def body(self) -> bytes:
        if not self.complete:
            task = self.task
            assert task is not None
            self._wait(lambda: self.complete or task.done())
            if not self.complete:
                raise self._failed()
        chunks = self._chunks
        if self.omit_body:
            return b""
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def close(self, budget: Callable[[], float | None] | None = None) -> None:
        task = self.task
        if task is None:
            return
        self.task = None
        released = self._released
        if released is None and task.done():  # the common case: nothing left to run
            if not task.cancelled() and task.exception() is not None:
                self._log_late_error(task)
            return
        try:
            if task.done() and released is not None and not released.done():
                # The last body came from another task of the app's: let that one finish.
                self._instance_loop.run(_release(released))
            if not task.done():
                if released is not None:
                    ended = self._instance_loop.resume(task, released, budget)
                elif self.complete:  # not held: the app already runs its work after it
                    timeout = budget() if budget is not None else None
                    ended = self._instance_loop.run(_finish(task, timeout))
                else:
                    # The consumer gave up before the response was complete (an error while
                    # delivering it): the app's task has nothing left to do for anyone.
                    ended = True
                    self._instance_loop.run(_cancelled(task))
                if not ended:
                    logger.warning("work after the response was cut at the invocation's deadline")
                    return
            if task.cancelled():
                return
            error = task.exception()
        except Exception:
            logger.exception("the ASGI app's work after its response could not run")
            return
        if error is not None:
            self._log_late_error(task)

    def _log_late_error(self, task: asyncio.Task[None]) -> None:
        error = task.exception()
        if error is not None and self.complete:
            # mangum PR #214: a complete response stands even if work after it fails.
            logger.error(
                "the ASGI app raised after its response was complete",
                exc_info=(type(error), error, error.__traceback__),
            )


async def _release(released: asyncio.Future[None]) -> None:
    released.set_result(None)
    await asyncio.sleep(0)


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.wait({task})


#: "content-type" <-> b"content-type", memoised in both directions: names repeat.
_REQUEST_NAMES: dict[str, bytes] = {}
_RESPONSE_NAMES: dict[bytes, str] = {}
_CACHE_LIMIT = 512


def _request_name(name: str) -> bytes:
    key = name.encode("latin-1")
    if len(_REQUEST_NAMES) < _CACHE_LIMIT:
        _REQUEST_NAMES[name] = key
    return key


def _response_name(name: bytes) -> str:
    key = bytes(name).lower().decode("latin-1")
    if len(_RESPONSE_NAMES) < _CACHE_LIMIT:
        _RESPONSE_NAMES[bytes(name)] = key
    return key


def _text(value: bytes) -> str:
    """A header value as the text a platform's JSON carries: UTF-8 where valid, else latin-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return bytes(value).decode("latin-1")


class ASGIRunner:
    """Calls one ASGI app; created once per instance, reused by every invocation."""

    def __init__(self, app: ASGIApp, *, lifespan: LifespanMode = "auto") -> None:
        self.app = app
        self.loop = InstanceLoop()
        self.lifespan = Lifespan(app, self.loop, lifespan)

    def startup(self) -> None:
        try:
            self.lifespan.startup()
        except BaseException:
            # A failed init is retried with a new runner: this one's loop (three file
            # descriptors) and its pending lifespan task go now, not when the GC finds them.
            self.loop.close()
            raise

    def shutdown(self) -> None:
        if self.loop.loop.is_closed():
            # Already torn down (an interpreter exiting collects loops before atexit runs).
            return
        try:
            self.lifespan.shutdown()
        finally:
            self.loop.close()

    def scope(self, request: Request, invocation: Any) -> dict[str, Any]:
        root_path = request.root_path
        raw_path = request.raw_path
        names = _REQUEST_NAMES
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": HTTP_ASGI,
            "http_version": request.http_version,
            "method": request.method,
            "scheme": request.scheme,
            "path": (root_path + request.path if root_path else request.path).decode(
                "utf-8", "replace"
            ),
            "raw_path": None if raw_path is None else raw_path.encode(),
            "query_string": request.query_string.encode(),
            "root_path": root_path.decode("utf-8", "replace") if root_path else "",
            "headers": [
                (names.get(name) or _request_name(name), value.encode())
                for name, value in request.headers
            ],
            "client": request.client,
            "server": request.server,
            # The spec wants a shallow copy per request, so one request's writes stay its own.
            "state": self.lifespan.state.copy(),
            "extensions": {"faasgi": invocation},
            # The keys apps moving from mangum already read.
            "aws.event": invocation.event,
            "aws.context": invocation.context,
        }
        return scope

    def __call__(self, request: Request, invocation: Any, hold: bool = True) -> HTTPCycle:
        """Run the app until it starts its response. With `hold`, its work after the last
        body message waits for `close()`; without, it runs straight on (a managed runtime
        answers only when the handler returns, so the order is not observable there)."""
        cycle = HTTPCycle(request.body, self.loop, hold)
        call: Any = self.app(self.scope(request, invocation), cycle.receive, cycle.send)
        if call.__class__ is not CoroutineType:  # any awaitable may serve as an ASGI app
            call = _awaited(call)
        task = cycle.task = self.loop.start(call)
        if not cycle.status:
            if not task.done():
                task.add_done_callback(cycle._notify)
                cycle._wait(lambda: cycle.status != 0 or task.done())
            if not cycle.status:
                cycle.task = None
                raise cycle._failed()
        elif not cycle.complete and not task.done():
            task.add_done_callback(cycle._notify)  # wakes a consumer waiting for chunks
        return cycle
