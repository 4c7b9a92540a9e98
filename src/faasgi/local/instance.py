"""One instance of the emulator's pool, seen from the emulator: its OS process (which runs
`faasgi.local.worker`), the socket its invocations travel on, and its output.

Each instance is its own process group, as each platform instance is its own sandbox: the
processes an app starts go with it (a crash, a timeout or a stop ends the whole group), and
a terminal's Ctrl-C reaches the emulator only, which then stops the instances itself.

The instance's end is read off the process itself (a thread blocked in `waitpid`), never off
its pipes: a child the app started may hold the output pipe (and, after a `fork`, the
socket) open long after the instance died. asyncio's `Process.wait()` waits for the pipes
too on Python 3.11 and 3.13, which turned a crash into a timeout and made Ctrl-C hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from faasgi.local.calls import Call
from faasgi.local.frames import ANSWER_KINDS, HEADER, INIT_FAILED, INVOKE, READY, pack

logger = logging.getLogger("faasgi.local.pool")
instance_logger = logging.getLogger("faasgi.local.instance")

#: Seconds the frames an instance wrote just before it exited may take to arrive.
_DRAIN_SECONDS = 1.0
#: Seconds the last lines of output (shutdown hooks' included) may take after the exit.
_OUTPUT_SECONDS = 2.0


#: Notes an instance reported at its cold start (a plain app wrapped) already logged.
_NOTES_SHOWN: set[str] = set()


class InstanceFailed(Exception):
    """The instance process failed to start or died; its invocations cannot complete."""


class _Settings(Protocol):
    handler: str
    source: str
    timeout: float
    concurrency: int
    environment: Mapping[str, str]
    working_directory: str | None
    worker_arguments: tuple[str, ...]
    runtime_client: str | None


def worker_command(settings: _Settings, fd: int) -> list[str]:
    """The instance process's command line: faasgi's worker, or (`--runtime-client`) a
    Lambda runtime client's behind its own local Runtime API (faasgi.local.runtime_worker)."""
    common = ["--fd", str(fd), "--handler", settings.handler, "--timeout", str(settings.timeout)]
    if settings.runtime_client is not None:
        module = "faasgi.local.runtime_worker"
        return [sys.executable, "-m", module, *common, "--client", settings.runtime_client]
    extra = ["--source", settings.source, "--concurrency", str(settings.concurrency)]
    return [
        sys.executable,
        "-m",
        "faasgi.local.worker",
        *common,
        *extra,
        *settings.worker_arguments,
    ]


class Owner(Protocol):
    """What an instance needs from its pool."""

    settings: Any
    tables_declared: Callable[[list[Any]], Awaitable[None]] | None

    def instance_gone(self, instance: InstanceProcess) -> None: ...


class InstanceProcess:
    """The pool's side of one instance: its process, socket and bookkeeping."""

    def __init__(self, pool: Owner, instance_id: str) -> None:
        self.pool = pool
        self.id = instance_id
        #: starting -> ready -> stopping -> gone
        self.state = "starting"
        #: Invocations reserved for or running on this instance.
        self.busy = 0
        #: Invocations sent so far; the first one is the cold one.
        self.served = 0
        #: Stop after the invocations now running (fresh mode, reload).
        self.retire = False
        self.last_used = time.monotonic()
        #: Process start to ready: what the platform reports as the init duration.
        self.init_ms: float | None = None
        #: The part of it spent importing the handler module (its init code).
        self.import_ms: float | None = None
        self._spawn_started = 0.0
        self.pid: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.exit_status: int | None = None
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[None] = loop.create_future()
        # Every waiter reads the outcome; an init failure nobody waited for is not an error.
        self.ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        #: The process's exit status (negative: killed by that signal), once it has exited.
        self.exited: asyncio.Future[int] = loop.create_future()
        self.spawned = asyncio.Event()
        self.gone = asyncio.Event()
        self._calls: dict[int, Call] = {}
        self._call_ids = itertools.count(1)
        self._writer: asyncio.StreamWriter | None = None
        self._output: asyncio.Task[None] | None = None
        self._output_pipe: asyncio.BaseTransport | None = None
        self._terminated = False

    def __repr__(self) -> str:
        return f"<InstanceProcess {self.id} {self.state} busy={self.busy} pid={self.pid}>"

    async def run(self) -> None:
        """Start the process, then read its frames until it exits."""
        try:
            reader = await self._spawn()
        except Exception as error:
            self.spawned.set()
            self._ended(InstanceFailed(f"could not start an instance process: {error}"))
            return
        frames = asyncio.ensure_future(self._read_frames(reader))
        failure: InstanceFailed | None = None
        try:
            either: set[asyncio.Future[Any]] = {frames, self.exited}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not frames.done():  # the process exited: take what it wrote before
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(frames), _DRAIN_SECONDS)
            if frames.done():
                failure = frames.result()
            self.exit_status = await self.exited
        finally:
            frames.cancel()
            self._end_group()
            await self._last_output()
            if failure is None:
                failure = InstanceFailed(f"instance {self.id} {describe_exit(self.exit_status)}")
                if self.state != "stopping":  # not stopped by the pool: it crashed
                    when = "during an invocation" if self._calls else "while idle"
                    logger.warning(
                        "%s %s %s; the next request starts a new instance",
                        self.id,
                        describe_exit(self.exit_status),
                        when,
                    )
            self._ended(failure)

    async def _spawn(self) -> asyncio.StreamReader:
        settings: _Settings = self.pool.settings
        parent, child = socket.socketpair()
        self._spawn_started = time.monotonic()
        # FAASGI_LOCAL=1 tells an app it runs under the emulator (a dev secret, local tables).
        environment = {
            **os.environ,
            "FAASGI_LOCAL": "1",
            **settings.environment,
            "PYTHONUNBUFFERED": "1",
        }
        command = worker_command(settings, child.fileno())
        try:
            self.process = subprocess.Popen(
                command,
                pass_fds=(child.fileno(),),
                cwd=settings.working_directory,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=environment,
                # Its own session and process group: a terminal's Ctrl-C does not reach
                # it (the emulator stops it), and ending the group ends the app's children.
                start_new_session=True,
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self.pid = self.process.pid
        loop = asyncio.get_running_loop()
        threading.Thread(
            target=_wait_for_exit, args=(self.process, loop, self.exited), daemon=True
        ).start()
        reader, self._writer = await asyncio.open_unix_connection(sock=parent)
        assert self.process.stdout is not None
        output = asyncio.StreamReader()
        self._output_pipe, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(output), self.process.stdout
        )
        self._output = asyncio.create_task(copy_output(self.id, output))
        self.spawned.set()
        logger.debug("%s: process %s started", self.id, self.pid)
        return reader

    async def _read_frames(self, reader: asyncio.StreamReader) -> InstanceFailed | None:
        """Dispatch frames until EOF; an init failure is returned, an exit is not."""
        while True:
            try:
                header = await reader.readexactly(HEADER.size)
                kind, call_id, meta_length, body_length = HEADER.unpack(header)
                data = await reader.readexactly(meta_length + body_length)
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            meta, body = data[:meta_length], data[meta_length:]
            if kind in ANSWER_KINDS:
                call = self._calls.get(call_id)
                if call is not None and call.feed(kind, meta, body):
                    del self._calls[call_id]
            elif kind == READY:
                if not await self._became_ready(json.loads(body)):
                    return None
            elif kind == INIT_FAILED:
                shape = json.loads(body)
                message = f"{shape['errorType']}: {shape['errorMessage']}"
                logger.warning("%s: init failed: %s", self.id, message)
                return InstanceFailed(f"instance {self.id} failed to init: {message}")

    async def _became_ready(self, report: dict[str, Any]) -> bool:
        self.init_ms = (time.monotonic() - self._spawn_started) * 1000
        self.import_ms = float(report["init_ms"])
        logger.info(
            "%s: cold start, pid %s, init %.1f ms (handler import %.1f ms)",
            self.id,
            self.pid,
            self.init_ms,
            self.import_ms,
        )
        note = report.get("note")
        if note and note not in _NOTES_SHOWN:  # once per emulator, not per instance
            _NOTES_SHOWN.add(note)
            logger.info("%s", note)
        tables = report.get("tables") or []
        if tables and self.pool.tables_declared is not None:
            try:
                await self.pool.tables_declared(tables)
            except Exception as error:
                logger.error("%s: could not create the tables it declares: %s", self.id, error)
                self.ready.set_exception(InstanceFailed(f"creating its tables failed: {error}"))
                self.kill()
                return False
        if self.state == "starting":
            self.state = "ready"
        if not self.ready.done():
            self.ready.set_result(None)
        return True

    def _end_group(self) -> None:
        """SIGKILL what is left of the instance's process group: the app's children."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)

    async def _last_output(self) -> None:
        """The last lines (shutdown hooks' included); a process that left the group and
        holds the pipe open must not keep the instance from ending."""
        if self._output is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._output), _OUTPUT_SECONDS)
        if self._output_pipe is not None:
            self._output_pipe.close()

    def _ended(self, failure: InstanceFailed) -> None:
        self.state = "gone"
        if not self.ready.done():
            self.ready.set_exception(failure)
        calls, self._calls = self._calls, {}
        for call in calls.values():
            call.fail(failure)
        if self._writer is not None:
            self._writer.close()
        self.gone.set()
        self.pool.instance_gone(self)

    def call(self, request_id: str, event: bytes, timeout: float) -> Call:
        """Send one invocation; its answer (RESULT, ERROR or START) arrives in `answer`,
        its end in `over` (`faasgi.local.calls`).

        Both fail with TimeoutError after `timeout` s, the whole invocation's limit (work
        after the response included). A timer rather than `wait_for`, which costs a task
        per call; no `drain()`: an instance has at most `concurrency` events in flight, so
        what the socket cannot take at once stays small.
        """
        if self._writer is None or self.state == "gone":
            raise InstanceFailed(f"instance {self.id} {describe_exit(self.exit_status)}")
        call_id = next(self._call_ids)
        call = self._calls[call_id] = Call()
        timer = asyncio.get_running_loop().call_later(timeout, self._expire, call_id)
        call.over.add_done_callback(lambda _: timer.cancel())
        self._writer.write(pack(INVOKE, call_id, request_id.encode("ascii"), event))
        return call

    def _expire(self, call_id: int) -> None:
        call = self._calls.pop(call_id, None)
        if call is not None:
            call.fail(asyncio.TimeoutError())

    def answered_since(self) -> float | None:
        """When the last of its running invocations answered, if every one has (loop
        time); None while one has not, or when it runs none."""
        if self.state != "ready" or not self._calls or len(self._calls) < self.busy:
            return None
        times = [call.answered_at for call in self._calls.values()]
        return None if None in times else max(t for t in times if t is not None)

    def kill(self) -> None:
        """SIGKILL to the whole instance, as when the platform ends a timed-out instance:
        no shutdown hooks."""
        if self.state != "gone":
            self.state = "stopping"
        if self.process is not None and not self.exited.done():
            self._end_group()

    async def stop(self, grace: float) -> None:
        """SIGTERM (faasgi runs the shutdown hooks), then SIGKILL after `grace` seconds."""
        if self.state != "gone":
            self.state = "stopping"
        await self.spawned.wait()
        process = self.process
        if process is not None and not self.exited.done() and not self._terminated:
            # Once only: faasgi's handler treats a second SIGTERM during its shutdown
            # hooks as the default action, and the process would die mid-hook.
            self._terminated = True
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self.exited), grace)
            except asyncio.TimeoutError:
                logger.warning("%s: still running %.1f s after SIGTERM: killed", self.id, grace)
                self.kill()
        await self.gone.wait()


def _wait_for_exit(
    process: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop, exited: asyncio.Future[int]
) -> None:
    """In a thread of its own: block until the process ends, then report its status."""
    status = process.wait()

    def report() -> None:
        if not exited.done():
            exited.set_result(status)

    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
        loop.call_soon_threadsafe(report)


async def copy_output(instance_id: str, stream: asyncio.StreamReader) -> None:
    """The instance's stdout and stderr, line by line, prefixed with its id."""
    pending = b""
    while chunk := await stream.read(65536):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            instance_logger.info("[%s] %s", instance_id, line.decode("utf-8", "replace"))
    if pending:
        instance_logger.info("[%s] %s", instance_id, pending.decode("utf-8", "replace"))


def describe_exit(status: int | None) -> str:
    if status is None:
        return "has stopped"
    if status < 0:
        try:
            return f"was killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with status {status}"


__all__ = ["InstanceFailed", "InstanceProcess", "copy_output", "describe_exit"]
