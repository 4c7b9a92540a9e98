"""One invocation in flight on an instance, seen from the emulator: the frames its instance
sends for it (`faasgi.local.frames`) become its answer, the chunks of a streamed answer,
and its end.

The answer (`answer`: a whole one, or the start of a stream) and the end of the
invocation (`over`: after the work after the response) are two moments: the gateway
hands the answer to the client at the first, the pool frees the instance at the second.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable

from faasgi.local.frames import BROKEN, CHUNK, DONE, END, ERROR, RESULT, START


class StreamBroken(Exception):
    """A streamed answer ended before its end: the app failed after the first byte, or its
    instance died or timed out. `kind` is the outcome's failure name."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Call:
    """The emulator's side of one invocation.

    `answer` resolves with (RESULT, ERROR or START, meta, body) once the instance has an
    answer; `over` resolves (None) when the invocation has ended (its DONE frame), or with
    the error that ended it (the instance died: InstanceFailed; the timeout: TimeoutError).
    A streamed answer's chunks are read with `chunks()`, once. Chunks wait in memory when
    the client reads slower than the app writes, as a platform's front buffers them.
    """

    __slots__ = (
        "_arrived",
        "_chunks",
        "_discard",
        "_end",
        "_on_over",
        "answer",
        "answered_at",
        "duration_ms",
        "over",
    )

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.answer: asyncio.Future[tuple[int, bytes, bytes]] = loop.create_future()
        self.over: asyncio.Future[None] = loop.create_future()
        # Read by whoever looks, or nobody (a client that left): never "never retrieved".
        self.over.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.answer.add_done_callback(lambda f: f.cancelled() or f.exception())
        #: monotonic time the answer arrived (None before).
        self.answered_at: float | None = None
        self._chunks: deque[bytes] = deque()
        self._arrived = asyncio.Event()
        #: None while the stream runs; "" once it ended well; else the StreamBroken.
        self._end: StreamBroken | str | None = None
        self._discard = False
        self._on_over: list[Callable[[asyncio.Future[None]], None]] = []
        #: How long the streamed answer took (its END or BROKEN frame), in ms.
        self.duration_ms: float | None = None

    def feed(self, kind: int, meta: bytes, body: bytes) -> bool:
        """Take one frame for this invocation; True when it was the last one."""
        if kind == CHUNK:
            if not self._discard:
                self._chunks.append(body)
                self._arrived.set()
        elif kind in (RESULT, ERROR, START):
            self.answered_at = asyncio.get_running_loop().time()
            if not self.answer.done():
                self.answer.set_result((kind, meta, body))
        elif kind == END:
            self.duration_ms = float(meta or 0)
            self._finish("")
        elif kind == BROKEN:
            self.duration_ms = float(meta or 0)
            shape = json.loads(body)
            detail = f"the app failed after the first byte: {shape.get('errorType')}: "
            self._finish(StreamBroken("error", detail + str(shape.get("errorMessage"))))
        elif kind == DONE:
            self._finish(StreamBroken("crash", "the invocation ended before its stream did"))
            if not self.over.done():
                self.over.set_result(None)
                self._ended()
            return True
        return False

    def fail(self, error: BaseException) -> None:
        """The invocation cannot complete (its instance died, or it timed out)."""
        if not self.answer.done():
            self.answer.set_exception(error)
        if isinstance(error, asyncio.TimeoutError):
            broken = StreamBroken("timeout", "the invocation timed out part-way through its stream")
        else:
            broken = StreamBroken("crash", str(error) or "the instance died")
        self._finish(broken)
        if not self.over.done():
            self.over.set_exception(error)
            self._ended()

    def when_over(self, function: Callable[[asyncio.Future[None]], None]) -> None:
        """Call `function(over)` the moment the invocation ends (now if it has), in the
        same step as the frame that ends it: a done-callback would run a loop step later,
        and a request handled in between would see the instance busy."""
        if self.over.done():
            function(self.over)
        else:
            self._on_over.append(function)

    def _ended(self) -> None:
        functions, self._on_over = self._on_over, []
        for function in functions:
            function(self.over)

    def discard(self) -> None:
        """Nobody reads the rest of the stream (it broke a limit): drop its chunks."""
        self._discard = True
        self._chunks.clear()

    def _finish(self, end: StreamBroken | str) -> None:
        if self._end is None:
            self._end = end
            self._arrived.set()

    async def chunks(self) -> AsyncIterator[bytes]:
        """Each chunk of the streamed answer as it arrives; StreamBroken if it breaks."""
        while True:
            while self._chunks:
                yield self._chunks.popleft()
            if self._end is not None:
                if isinstance(self._end, StreamBroken):
                    raise self._end
                return
            self._arrived.clear()
            await self._arrived.wait()


__all__ = ["Call", "StreamBroken"]
