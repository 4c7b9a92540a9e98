"""A Lambda Runtime API server for local use: what Lambda (or AWS's Runtime Interface
Emulator) offers a runtime, on 127.0.0.1, so that any runtime client — faasgi.runtime or
AWS's awslambdaric, unchanged — can be driven and watched locally.

Runtime API (2018-06-01): `/next` (answered with `Content-Type: application/json` exactly:
awslambdaric passes the event through json.loads only then, and crashes without one),
`/response` buffered or streamed (chunked, `Lambda-Runtime-Function-Response-Mode:
streaming`, error trailers), `/error`, `/init/error`; Extensions API (2020-01-01):
`/extension/register` and `/extension/event/next` with `SHUTDOWN` events. Status codes and
error names are RIE's (aws-lambda-runtime-interface-emulator internal/lambda/rapi): 400
InvalidRequestID, 403 InvalidStateTransition, 413 RequestEntityTooLarge, 400
InvalidFunctionResponseMode. Sources: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html,
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html,
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html.

It records everything a test needs (each chunk with its arrival time, trailers, when a
response completed) and never runs code found in an event.
"""

from __future__ import annotations

import json
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Largest buffered response body (RIE: 6 MiB plus 100 bytes of slack, interop/model.go).
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
_INVOCATION = re.compile(r"^/2018-06-01/runtime/invocation/([^/]+)/(response|error)$")


@dataclass
class Outcome:
    """What the runtime answered for one invocation."""

    request_id: str
    #: "response" or "error".
    kind: str = ""
    status: int = 0
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Streamed responses: each HTTP chunk as (time.monotonic() on arrival, bytes).
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    trailers: dict[str, str] = field(default_factory=dict)
    streamed: bool = False
    #: time.monotonic() when the event was handed out and when the answer was complete.
    started_at: float = 0.0
    completed_at: float = 0.0

    @property
    def error_type(self) -> str | None:
        return self.headers.get("lambda-runtime-function-error-type") or self.trailers.get(
            "lambda-runtime-function-error-type"
        )

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Pending:
    request_id: str
    event: bytes
    headers: dict[str, str]
    outcome: Outcome
    done: threading.Event = field(default_factory=threading.Event)
    on_chunk: Callable[[bytes], None] | None = None


@dataclass
class Extension:
    name: str
    identifier: str
    events: list[str]
    waiting: threading.Event = field(default_factory=threading.Event)


class RuntimeAPIServer(ThreadingHTTPServer):
    """`with RuntimeAPIServer() as server:` then point a runtime's AWS_LAMBDA_RUNTIME_API at
    `server.address` and call `server.invoke(event)`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        *,
        function_name: str = "test_function",
        timeout: float = 300.0,
        memory_mb: int = 3008,
        handler: str = "",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        # RIE's defaults for a local function (rie/handlers.go).
        self.function_name = function_name
        self.function_timeout = timeout
        self.memory_mb = memory_mb
        self.handler_name = handler
        self.function_arn = f"arn:aws:lambda:us-east-1:012345678912:function:{function_name}"
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._lock = threading.Lock()
        self._current: _Pending | None = None
        self._known: dict[str, _Pending] = {}
        self.ready = threading.Event()  # the runtime called /next at least once
        self.init_errors: list[Outcome] = []
        self.init_failed = threading.Event()
        self.extensions: list[Extension] = []
        self.shutting_down = threading.Event()
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A runtime that goes away mid-call (killed, SIGTERM) is normal here: not logged."""
        import sys

        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host!s}:{port}"

    # -- the test's side ----------------------------------------------------------------------

    def start(self) -> RuntimeAPIServer:
        # A short poll interval: close() waits for the serving loop to notice.
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __enter__(self) -> RuntimeAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.shutting_down.set()
        for extension in self.extensions:
            extension.waiting.set()
        self.shutdown()
        self.server_close()

    def submit(
        self,
        event: Any,
        *,
        request_id: str | None = None,
        trace_id: str | None = None,
        client_context: Any = None,
        identity: Any = None,
        timeout: float | None = None,
        on_chunk: Callable[[bytes], None] | None = None,
        headers: dict[str, str] | None = None,
    ) -> _Pending:
        """Queue an invocation for the runtime's next `/next` (`headers`: more of them, such
        as `Lambda-Runtime-Invocation-Id`, which newer Lambda builds send)."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode("utf-8")
        request_id = request_id or str(uuid.uuid4())
        deadline_ms = int((time.time() + (timeout or self.function_timeout)) * 1000)
        headers = {
            **(headers or {}),
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
        }
        # RIE sets each optional header only when it has a value (rendering.go).
        if trace_id:
            headers["Lambda-Runtime-Trace-Id"] = trace_id
        if client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = json.dumps(client_context)
        if identity is not None:
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(identity)
        pending = _Pending(request_id, body, headers, Outcome(request_id), on_chunk=on_chunk)
        with self._lock:
            self._known[request_id] = pending
        self._queue.put(pending)
        return pending

    def invoke(self, event: Any, *, wait: float = 60.0, **options: Any) -> Outcome:
        """Invoke and wait for the complete answer (TimeoutError after `wait` seconds)."""
        pending = self.submit(event, **options)
        if not pending.done.wait(wait):
            raise TimeoutError(f"no answer to invocation {pending.request_id} in {wait:g} s")
        return pending.outcome

    # -- the runtime's side (handler threads) -------------------------------------------------

    def next_invocation(self) -> _Pending | None:
        self.ready.set()
        while not self.shutting_down.is_set():
            try:
                pending = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            pending.outcome.started_at = time.monotonic()
            with self._lock:
                self._current = pending
            return pending
        return None

    def claim(self, request_id: str) -> tuple[int, str] | _Pending:
        """The invocation a `/response` or `/error` is for, or RIE's error for the call."""
        with self._lock:
            pending = self._known.get(request_id)
            if pending is None:
                return 400, "InvalidRequestID"
            if pending is not self._current or pending.outcome.kind:
                return 403, "InvalidStateTransition"
            pending.outcome.kind = "claimed"
            return pending

    def complete(self, pending: _Pending) -> None:
        pending.outcome.completed_at = time.monotonic()
        with self._lock:
            if self._current is pending:
                self._current = None
        pending.done.set()

    def busy(self) -> bool:
        with self._lock:
            return self._current is not None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RuntimeAPIServer

    def setup(self) -> None:
        super().setup()
        # Answers go out in two writes (head, body): without this, Nagle and the client's
        # delayed ACK hold the second for ~40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded outcomes instead."""

    # -- plumbing -------------------------------------------------------------------------------

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, status: int, error_type: str, message: str = "") -> None:
        self._send(status, {"errorMessage": message or error_type, "errorType": error_type})

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return b"".join(data for _, data in self._read_chunks(None, {}))
        return self.rfile.read(int(length)) if length and length.isdigit() else b""

    def _read_chunks(
        self, on_chunk: Callable[[bytes], None] | None, trailers: dict[str, str]
    ) -> list[tuple[float, bytes]]:
        chunks: list[tuple[float, bytes]] = []
        while True:
            line = self.rfile.readline(65537)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                break
            data = self.rfile.read(size)
            self.rfile.readline()  # the CRLF after the chunk
            chunks.append((time.monotonic(), data))
            if on_chunk is not None:
                on_chunk(data)
        while True:  # trailers, then an empty line
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            trailers[name.strip().lower()] = value.strip()
        return chunks

    # -- routes ---------------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/2018-06-01/runtime/invocation/next":
            self._next()
        elif path == "/2020-01-01/extension/event/next":
            self._extension_next()
        else:
            self._refuse(404, "NotFound", f"no such endpoint: GET {path}")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        match = _INVOCATION.match(path)
        if match is not None:
            request_id, what = match.groups()
            if what == "response":
                self._response(request_id)
            else:
                self._error(request_id)
        elif path == "/2018-06-01/runtime/init/error":
            self._init_error()
        elif path == "/2020-01-01/extension/register":
            self._register()
        else:
            self._read_body()
            self._refuse(404, "NotFound", f"no such endpoint: POST {path}")

    def _next(self) -> None:
        server = self.server
        if server.busy():
            self._refuse(403, "InvalidStateTransition", "/next while an invocation is running")
            return
        pending = server.next_invocation()
        if pending is None:
            self.close_connection = True
            return
        self.send_response(200)
        # Exactly this value: awslambdaric decodes JSON only when it is (research §0.1).
        self.send_header("Content-Type", "application/json")
        for name, value in pending.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(pending.event)))
        self.end_headers()
        self.wfile.write(pending.event)

    def _response(self, request_id: str) -> None:
        mode = self.headers.get("Lambda-Runtime-Function-Response-Mode")
        chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
        if mode is not None and mode.lower() != "streaming":
            self._read_body()
            self._refuse(400, "InvalidFunctionResponseMode", f"bad response mode {mode!r}")
            return
        claimed = self.server.claim(request_id)
        if isinstance(claimed, tuple):
            self._read_body()
            self._refuse(*claimed)
            return
        outcome = claimed.outcome
        outcome.headers = {name.lower(): value for name, value in self.headers.items()}
        outcome.content_type = self.headers.get("Content-Type")
        if chunked:
            outcome.streamed = mode is not None
            outcome.chunks = self._read_chunks(claimed.on_chunk, outcome.trailers)
            outcome.body = b"".join(data for _, data in outcome.chunks)
        else:
            outcome.body = self._read_body()
            if len(outcome.body) > MAX_RESPONSE_BYTES:
                # RIE then reports Function.ResponseSizeTooLarge for the invocation.
                outcome.kind, outcome.status = "error", 413
                outcome.headers["lambda-runtime-function-error-type"] = (
                    "Function.ResponseSizeTooLarge"
                )
                self.server.complete(claimed)
                self._refuse(413, "RequestEntityTooLarge", "response body over 6 MiB")
                return
        outcome.kind, outcome.status = "response", 202
        self.server.complete(claimed)
        self._send(202, {"status": "OK"})

    def _error(self, request_id: str) -> None:
        body = self._read_body()
        claimed = self.server.claim(request_id)
        if isinstance(claimed, tuple):
            self._refuse(*claimed)
            return
        outcome = claimed.outcome
        outcome.headers = {name.lower(): value for name, value in self.headers.items()}
        outcome.content_type = self.headers.get("Content-Type")
        outcome.body = body
        outcome.kind, outcome.status = "error", 202
        self.server.complete(claimed)
        self._send(202, {"status": "OK"})

    def _init_error(self) -> None:
        outcome = Outcome("", kind="init-error", status=202, body=self._read_body())
        outcome.headers = {name.lower(): value for name, value in self.headers.items()}
        outcome.content_type = self.headers.get("Content-Type")
        outcome.completed_at = time.monotonic()
        self.server.init_errors.append(outcome)
        self.server.init_failed.set()
        self._send(202, {"status": "OK"})

    def _register(self) -> None:
        server = self.server
        body = self._read_body()
        name = self.headers.get("Lambda-Extension-Name")
        if not name:
            self._refuse(403, "Extension.InvalidExtensionName", "Lambda-Extension-Name missing")
            return
        if server.ready.is_set():
            # Registration closes when the runtime's init ends (RIE rapid/handlers.go).
            self._refuse(403, "Extension.RegistrationClosed", "init has ended")
            return
        try:
            events = json.loads(body or b"{}").get("events", [])
        except (ValueError, AttributeError):
            self._refuse(400, "InvalidRequestFormat", 'body must be {"events": [...]}')
            return
        if "SHUTDOWN" in events:
            # Internal extensions (every one registered here) may not ask for SHUTDOWN.
            self._refuse(403, "Extension.InvalidEventType", "internal extensions get no SHUTDOWN")
            return
        extension = Extension(name, str(uuid.uuid4()), list(events))
        server.extensions.append(extension)
        self._send(
            200,
            {
                "functionName": server.function_name,
                "functionVersion": "$LATEST",
                "handler": server.handler_name,
            },
            {"Lambda-Extension-Identifier": extension.identifier},
        )

    def _extension_next(self) -> None:
        identifier = self.headers.get("Lambda-Extension-Identifier")
        found = [e for e in self.server.extensions if e.identifier == identifier]
        if not found:
            self._refuse(403, "Extension.InvalidExtensionIdentifier", "unknown extension")
            return
        # No events subscribed: the call waits until the environment goes away.
        found[0].waiting.wait()
        self.close_connection = True


def signal_shutdown(
    server: RuntimeAPIServer, process: Any, *, grace: float = 0.5, wait: float = 10.0
) -> str:
    """End a runtime process as Lambda does: SIGKILL at once when no extension registered;
    otherwise SIGTERM, `grace` seconds for the runtime (Lambda: 500 ms with internal
    extensions only, runtimes-extensions-api.html "Shutdown phase"), then SIGKILL. Returns
    "terminated", "killed" (SIGKILL needed) or "exited" (already gone)."""
    import signal as signals

    if process.poll() is not None:
        return "exited"
    if not server.extensions:
        process.kill()
        process.wait(wait)
        return "killed"
    process.send_signal(signals.SIGTERM)
    try:
        process.wait(grace)
    except Exception:
        process.kill()
        process.wait(wait)
        return "killed"
    return "terminated"
