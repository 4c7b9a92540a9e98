"""One ASGI HTTP request/response exchange (`HTTPCycle`), consumed as a `faasgi.http.Reply`:
the app's messages are recorded as it sends them, a consumer waiting for more drives the
instance's loop, and the app's code after its last body message waits for `close()`.

Knows nothing about events, platforms or sinks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from faasgi.http import Reply
from faasgi.instance_loop import InstanceLoop, _finish

Message = MutableMapping[str, Any]

logger = logging.getLogger("faasgi.asgi")


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
        "_wake",
        "complete",
        "hold",
        "task",
    )

    def __init__(self, body: bytes, instance_loop: InstanceLoop, hold: bool) -> None:
        self.status = 0  # set by 'http.response.start'
        self.headers = []
        self.omit_body = False
        self.work_left = True
        self._body: bytes | None = body
        self._instance_loop = instance_loop
        self._disconnect: asyncio.Future[None] | None = None
        self._released: asyncio.Future[None] | None = None
        self._wake: asyncio.Future[None] | None = None
        self._chunks: list[bytes] = []
        self.complete = False
        #: Suspend the app at its last body message until `close()`.
        self.hold = hold
        self.task: asyncio.Task[None] | None = None

    async def receive(self) -> Message:
        body = self._body
        if body is not None:  # the request's body, once; None once it was received
            self._body = None
            return {"type": "http.request", "body": body, "more_body": False}
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
                self._chunks.append(body if body.__class__ is bytes else bytes(body))
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
        ended = self.task
        if not self.hold and ended is not None and ended.done():
            # The app ran to its end with its response (a managed runtime): close() now,
            # in line, rather than in a call of its own later.
            self.task = None
            self.work_left = False
            try:
                failed = ended.exception() is not None
            except asyncio.CancelledError:
                failed = False
            if failed:
                self._log_late_error(ended)
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


#: b"content-type" -> "content-type", memoised: names repeat.
_RESPONSE_NAMES: dict[bytes, str] = {}
_CACHE_LIMIT = 512


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
