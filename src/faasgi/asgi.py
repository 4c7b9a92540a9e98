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
from collections.abc import Awaitable, Callable, MutableMapping
from types import CoroutineType
from typing import Any, Literal, TypeVar

from faasgi.asgi_cycle import HTTPCycle
from faasgi.errors import AppNotReady
from faasgi.http import Request
from faasgi.instance_loop import InstanceLoop

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


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


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


#: "content-type" -> b"content-type", memoised: names repeat.
_REQUEST_NAMES: dict[str, bytes] = {}
_CACHE_LIMIT = 512


def _request_name(name: str) -> bytes:
    key = name.encode("latin-1")
    if len(_REQUEST_NAMES) < _CACHE_LIMIT:
        _REQUEST_NAMES[name] = key
    return key


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


__all__ = ["ASGIRunner", "HTTPCycle", "InstanceLoop", "Lifespan"]
