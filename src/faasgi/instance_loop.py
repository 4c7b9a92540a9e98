"""The instance's one event loop (`InstanceLoop`): made once per instance, shared by every
invocation and by the threads of an instance that serves several at once, and able to run
a new task's first step at once (most ASGI requests never wait on I/O).

Never creates a loop per call (`asyncio.run` per invocation breaks loop-bound clients).
"""

from __future__ import annotations

import asyncio
import threading
from asyncio import events as asyncio_events
from collections.abc import Callable, Coroutine
from contextvars import Context
from typing import Any, TypeVar

T = TypeVar("T")


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
                self._lock.release()  # self._release(), inlined: every invocation's path
                if self._waiters:
                    self._wake_waiters()
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
            self._wake_waiters()

    def _wake_waiters(self) -> None:
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
