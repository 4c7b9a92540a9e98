"""One instance of the function in its own process, as the platform runs it: imports the
handler module once (the cold start: import and init code), then serves invocations read
from the emulator's socket, one at a time (or `--concurrency N` at once, in threads, as
FC's Python runtime does). Run as `python -m faasgi.local.worker`, never imported by apps.

It never imports asyncio, uvicorn or the gateway: what it imports is what a cold start
costs, and the emulator reports that as the init time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

from faasgi.local.frames import DONE, ERROR, HEADER, INIT_FAILED, INVOKE, READY, RESULT, pack

#: The module-level function an app defines to name the DynamoDB tables it needs locally.
TABLES_HOOK = "faasgi_tables"


class Link:
    """This instance's end of the socket: reads invocations, writes answers."""

    def __init__(self, fd: int) -> None:
        # Not for the app's children (os.system, fork): an instance whose socket another
        # process holds open would never be seen to end.
        os.set_inheritable(fd, False)
        self._socket = socket.socket(fileno=fd)
        self._reader: BinaryIO = self._socket.makefile("rb")
        self._write_lock = threading.Lock()

    def read(self) -> tuple[int, int, bytes, bytes] | None:
        """The next frame as (kind, call id, meta, body); None when the emulator has gone."""
        header = self._reader.read(HEADER.size)
        if len(header) < HEADER.size:
            return None
        kind, call_id, meta_length, body_length = HEADER.unpack(header)
        data = self._reader.read(meta_length + body_length)
        if len(data) < meta_length + body_length:
            return None
        return kind, call_id, data[:meta_length], data[meta_length:]

    def write(self, kind: int, call_id: int, meta: bytes, body: bytes) -> None:
        frame = pack(kind, call_id, meta, body)
        with self._write_lock:  # answers from several threads must not interleave
            self._socket.sendall(frame)


class Runtime:
    """What the platform's runtime does around the handler: context, JSON, errors."""

    def __init__(self, handler: Callable[..., Any], source: str, timeout: float) -> None:
        self.handler = handler
        # FC 3.0 hands Python handlers the event as bytes of JSON; Lambda's runtime parses it.
        self.fc = source.startswith("fc")
        self.timeout = timeout
        #: A faasgi handler answers through a sink, which may stream (`faasgi.local.answers`);
        #: made at the first invocation, so that its imports are not counted as init time.
        self.sink_for: Callable[[Callable[[int, bytes, bytes], None], float], Any] | None = None
        self._sinks_ready = False

    def context(self, request_id: str) -> Any:
        from faasgi.contexts import FCContext, LambdaContext

        if self.fc:
            return FCContext(request_id=request_id, timeout=max(1, round(self.timeout)))
        return LambdaContext(aws_request_id=request_id, timeout_s=self.timeout)

    def invoke(self, meta: bytes, body: bytes, send: Callable[[int, bytes, bytes], None]) -> None:
        """Run one invocation: its answer (RESULT or ERROR, or a stream: START, CHUNK...,
        END) goes out as soon as it is ready, then DONE once the work after it has run."""
        started = time.perf_counter()
        answered = False
        if not self._sinks_ready:
            from faasgi.local.answers import sink_factory

            self.sink_for = sink_factory(self.handler)
            self._sinks_ready = True
        try:
            event = body if self.fc else json.loads(body)
            context = self.context(meta.decode("ascii"))
            if self.sink_for is not None:
                sink = self.sink_for(send, started)
                try:
                    result = self.handler.invoke(event, context, sink)  # type: ignore[attr-defined]
                finally:
                    answered = sink.answered
                if not answered:  # a path that answers by return value (WebSocket events)
                    send(RESULT, _since(started), json.dumps(result).encode("utf-8"))
                    answered = True
            else:
                result = self.handler(event, context)
                # The platform serialises the answer; one it cannot serialise is an error.
                send(RESULT, _since(started), json.dumps(result).encode("utf-8"))
                answered = True
        except Exception as error:
            traceback.print_exc()  # the instance's log, as CloudWatch or SLS would show it
            if not answered:
                send(ERROR, _since(started), _error_body(error))
        send(DONE, _since(started), b"")


def _since(started: float) -> bytes:
    return f"{(time.perf_counter() - started) * 1000:.3f}".encode("ascii")


def _error_body(error: BaseException) -> bytes:
    """An unhandled error in Lambda's shape (what the Invoke API returns)."""
    shape = {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_exception(error)[-12:],
    }
    return json.dumps(shape).encode("utf-8")


def declared_tables(module: Any) -> list[Any]:
    """What the module's `faasgi_tables()` returns: table names or CreateTable requests."""
    hook = getattr(module, TABLES_HOOK, None)
    if hook is None:
        return []
    if not callable(hook):
        raise TypeError(f"{TABLES_HOOK} must be a function returning table names")
    tables = list(hook())
    for table in tables:
        if not isinstance(table, (str, dict)):
            raise TypeError(
                f"{TABLES_HOOK}() must return table names (str) or CreateTable requests "
                f"(dict), got {table!r}"
            )
    return tables


def serve(link: Link, runtime: Runtime, concurrency: int) -> None:
    """Answer invocations until the emulator closes the socket."""
    if concurrency <= 1:
        while (frame := link.read()) is not None:
            kind, call_id, meta, body = frame
            if kind == INVOKE:
                runtime.invoke(meta, body, _sender(link, call_id))
        return
    from concurrent.futures import ThreadPoolExecutor

    def run(call_id: int, meta: bytes, body: bytes) -> None:
        runtime.invoke(meta, body, _sender(link, call_id))

    with ThreadPoolExecutor(concurrency, thread_name_prefix="invocation") as threads:
        while (frame := link.read()) is not None:
            kind, call_id, meta, body = frame
            if kind == INVOKE:
                threads.submit(run, call_id, meta, body)


def _sender(link: Link, call_id: int) -> Callable[[int, bytes, bytes], None]:
    """Writes the frames of one invocation."""

    def send(kind: int, meta: bytes, body: bytes) -> None:
        link.write(kind, call_id, meta, body)

    return send


def _on_sigterm_call(pre_stop: Callable[..., Any], runtime: Runtime) -> None:
    """FC calls an instance's preStop hook before it stops the instance; the emulator stops
    instances with SIGTERM, so the hook runs then, and the instance exits after it."""

    def stop(signum: int, frame: Any) -> None:
        try:
            pre_stop(runtime.context("pre-stop"))
        except Exception:
            traceback.print_exc()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m faasgi.local.worker")
    parser.add_argument("--fd", type=int, required=True, help="the socket to the emulator")
    parser.add_argument("--handler", required=True, help="MODULE:HANDLER")
    parser.add_argument("--source", default="aws-http")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--initializer", help="FC initializer hook, MODULE:FUNCTION")
    parser.add_argument("--pre-stop", help="FC preStop hook, MODULE:FUNCTION")
    args = parser.parse_args(argv)

    # The instance is a process group of its own, out of the terminal's reach; whatever the
    # emulator was started with (`&` ignores SIGINT, nohup SIGHUP) must not reach the
    # processes the app starts, which inherit ignored signals.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGHUP", "SIGQUIT", "SIGTERM"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    link = Link(args.fd)
    started = time.perf_counter()
    try:
        from faasgi.cli import load_handler
        from faasgi.loader import LoadError, load_function

        handler, note = load_function(args.handler)
        tables = declared_tables(sys.modules[args.handler.partition(":")[0]])
        runtime = Runtime(handler, args.source, args.timeout)
        if args.initializer:  # FC runs it once per instance, before the first invocation
            load_handler(args.initializer)(runtime.context("initializer"))
        if args.pre_stop:
            _on_sigterm_call(load_handler(args.pre_stop), runtime)
    except LoadError as error:  # one line, after the user's own frames (not importlib's)
        sys.stderr.write(error.trace + f"{error}\n")
        # The error types Lambda reports for the same failures.
        kind = "Runtime.ImportModuleError" if error.trace else "Runtime.HandlerNotFound"
        failure = {"errorType": kind, "errorMessage": str(error), "trace": error.trace}
        link.write(INIT_FAILED, 0, b"", json.dumps(failure).encode("utf-8"))
        return 1
    except BaseException as error:  # SystemExit at import is an init failure too
        trace = traceback.format_exc()
        sys.stderr.write(trace)
        failure = {"errorType": type(error).__name__, "errorMessage": str(error), "trace": trace}
        link.write(INIT_FAILED, 0, b"", json.dumps(failure).encode("utf-8"))
        return 1
    init_ms = (time.perf_counter() - started) * 1000
    ready = {"init_ms": init_ms, "pid": os.getpid(), "tables": tables, "note": note}
    link.write(READY, 0, b"", json.dumps(ready).encode("utf-8"))
    serve(link, runtime, args.concurrency)
    # The emulator has gone without stopping this instance: leave, with the shutdown hooks
    # (faasgi registers them at exit) rather than as an orphan.
    return 0


if __name__ == "__main__":
    sys.exit(main())
