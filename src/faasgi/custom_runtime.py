"""`python -m faasgi.custom_runtime MODULE:HANDLER`: serve a faasgi handler as the HTTP server
an Alibaba FC custom runtime (or custom container) runs, on 0.0.0.0:$FC_CUSTOM_LISTEN_PORT.

FC's built-in Python runtime takes one value per response header, so an app that sets
several cookies in one response loses all but one; a custom runtime receives and answers
real HTTP, so every Set-Cookie reaches the client. Requests go through the handler's FC 2.0
WSGI path (WSGI and ASGI apps alike, one instance, init once); FC's hooks `POST /initialize`
and `GET /pre-stop` call `handler.initializer` and `handler.pre_stop`, and `POST /invoke`
(event invocations) calls `handler(event, context)`.

The stdlib's threading HTTP server is used rather than uvicorn: the package needs no extra
dependency, ASGI apps already run on the handler's own event loop with their lifespan once
per instance, and request bodies are buffered as on every FaaS HTTP trigger. Answers are
written by `faasgi.fc_sink`: whole, or streamed with chunked encoding for a function in
RESPONSE_STREAM mode (`serverless(..., invoke_mode="RESPONSE_STREAM")` or
`FAASGI_INVOKE_MODE=RESPONSE_STREAM`); either way before the work after the response.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes

from faasgi.cli import UsageError, load_handler
from faasgi.fc_sink import CustomRuntimeSink
from faasgi.function import Handler, serverless
from faasgi.http import Headers

logger = logging.getLogger("faasgi.custom_runtime")

DEFAULT_PORT = 9000

#: FC passes the function's temporary credentials as request headers; the app gets them
#: from `context.credentials`, never as headers it might log.
_CREDENTIAL_HEADERS = frozenset(
    {"x-fc-access-key-id", "x-fc-access-key-secret", "x-fc-security-token"}
)
#: Framing headers the server computes itself.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
_HTTP_INVOKE = "/http-invoke"
#: FC's lifecycle hooks: the method and path FC calls each with.
_HOOKS = {
    ("POST", "/initialize"): "Initialize",
    ("GET", "/pre-stop"): "PreStop",
    ("GET", "/pre-freeze"): "PreFreeze",
}


class Credentials:
    """`context.credentials` as FC's Python runtimes have it."""

    __slots__ = ("access_key_id", "access_key_secret", "security_token")

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token


class FunctionMeta:
    """`context.function`; the timeout is not among a custom runtime's request headers."""

    __slots__ = ("handler", "memory", "name", "timeout")

    def __init__(self, name: str, handler: str, memory: int, timeout: int | None) -> None:
        self.name = name
        self.handler = handler
        self.memory = memory
        self.timeout = timeout


class RuntimeContext:
    """The context FC's built-in Python runtime would pass, rebuilt from the common
    request headers FC sends a custom runtime (x-fc-request-id, x-fc-function-name, ...)."""

    __slots__ = ("account_id", "credentials", "function", "region", "request_id")

    def __init__(self, headers: Callable[[str], str | None]) -> None:
        self.request_id = headers("x-fc-request-id") or os.urandom(16).hex()
        self.credentials = Credentials(
            headers("x-fc-access-key-id") or "",
            headers("x-fc-access-key-secret") or "",
            headers("x-fc-security-token") or "",
        )
        memory = headers("x-fc-function-memory") or ""
        self.function = FunctionMeta(
            headers("x-fc-function-name") or os.environ.get("FC_FUNCTION_NAME", ""),
            headers("x-fc-function-handler") or "",
            int(memory) if memory.isdigit() else 0,
            None,
        )
        self.region = headers("x-fc-region") or os.environ.get("FC_REGION", "")
        self.account_id = headers("x-fc-account-id") or os.environ.get("FC_ACCOUNT_ID", "")


class FunctionServer(ThreadingHTTPServer):
    """One HTTP server per instance; each request on its own thread (instance concurrency)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: Handler) -> None:
        from faasgi.runtime.loop import streaming

        self.function = handler
        #: Whether HTTP answers stream (chunked), decided once per instance.
        self.stream = streaming(handler)
        super().__init__(address, FunctionRequestHandler)


class FunctionRequestHandler(BaseHTTPRequestHandler):
    """Turns one HTTP request into a call of the handler, or of one of FC's hooks."""

    protocol_version = "HTTP/1.1"  # keep-alive: FC's gateway reuses connections
    server: FunctionServer
    _request_id: str | None = None

    def do_GET(self) -> None:
        if self.command == "GET" and "websocket" in (self.headers.get("upgrade") or "").lower():
            from faasgi.fc_websocket import serve_upgrade  # one long-lived connection

            serve_upgrade(self)
            return
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)

    # -- routing ----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        path = self.path.partition("?")[0]
        context = RuntimeContext(self.headers.get)
        control = self._control_request(path)
        if control == "Invoke":
            self._invoke_event(body, context)
        elif control == "Initialize":
            self._hook("Initialize", self.server.function.initializer, context)
        elif control == "PreStop":
            self._hook("PreStop", self.server.function.pre_stop, context)
        elif control == "PreFreeze":  # FC 2.0 only: nothing to do
            self._answer(200, [("x-fc-status", "200")], b"OK")
        else:
            self._invoke_http(body, context)

    def _control_request(self, path: str) -> str | None:
        """Which of FC's control requests this is; None for a request meant for the app.

        Only in the form FC sends them: FC adds its common headers, x-fc-request-id among
        them, to every request it sends a custom runtime, hooks included; marks an event
        invocation `POST /invoke` with `x-fc-control-path: /invoke`; and marks every user
        request `x-fc-control-path: /http-invoke` (custom-runtime spec, event handlers and
        lifecycle hooks pages, cited in docs/deploy.md). A client cannot send x-fc-*
        headers through an HTTP trigger (the web functions page: "Request headers do not
        support custom fields that start with x-fc-"). So a plain `GET /pre-stop`, or a
        request carrying `x-fc-control-path: /invoke` without the rest, reaches the app.
        """
        if not self.headers.get("x-fc-request-id"):
            return None
        control = self.headers.get("x-fc-control-path")
        if control == _HTTP_INVOKE:
            return None
        if control == "/invoke":
            return "Invoke" if (self.command, path) == ("POST", "/invoke") else None
        return _HOOKS.get((self.command, path))

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            return self._read_chunked()
        length = self.headers.get("content-length") or "0"
        if not length.isdigit():
            self.send_error(400, "Bad Content-Length")
            return None
        return self.rfile.read(int(length))

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    # -- the three kinds of call ------------------------------------------------------------

    def _hook(self, name: str, hook: Callable[[Any], Any], context: RuntimeContext) -> None:
        request_id = self.headers.get("x-fc-request-id")
        if request_id:  # FC collects a hook's log by these lines
            _log_line(f"FC {name} Start RequestId: {request_id}")
        try:
            hook(context)
        except Exception as error:
            logger.exception("the %s hook failed", name)
            # FC reads a hook's outcome from the status: 200 succeeded, 404 failed.
            text = f"{name} hook failed: {error!r}".encode()
            self._finish(request_id, name, 404, [("x-fc-status", "404")], text)
        else:
            self._finish(request_id, name, 200, [("x-fc-status", "200")], b"OK")

    def _invoke_event(self, body: bytes, context: RuntimeContext) -> None:
        _log_line(f"FC Invoke Start RequestId: {context.request_id}")
        try:
            result = self.server.function(body, context)
        except Exception as error:
            logger.exception("the event invocation failed")
            payload = json.dumps({"errorMessage": str(error), "errorType": type(error).__name__})
            self._finish(
                context.request_id, "Invoke", 404, [("x-fc-status", "404")], payload.encode()
            )
            return
        if isinstance(result, bytes):
            data = result
        elif isinstance(result, str):
            data = result.encode("utf-8")
        else:
            data = json.dumps(result, default=str).encode("utf-8")
        self._finish(context.request_id, "Invoke", 200, [("x-fc-status", "200")], data)

    def _invoke_http(self, body: bytes, context: RuntimeContext) -> None:
        request_id = self.headers.get("x-fc-request-id")
        if request_id:
            _log_line(f"FC Invoke Start RequestId: {request_id}")
        self._request_id = request_id
        # Chunked encoding is HTTP/1.1's; an HTTP/1.0 client gets the whole answer.
        stream = self.server.stream and self.request_version == "HTTP/1.1"
        function = self.server.function
        sink = CustomRuntimeSink(function.codec, self, stream, function.raise_app_errors)
        try:
            function.invoke(self._environ(body, context), _unused_start_response, sink)
        except Exception:
            if sink.answered:  # the client has its answer: the work after it failed
                logger.exception("work after the answer failed: %s %s", self.command, self.path)
                return
            logger.exception("the function failed on %s %s", self.command, self.path)
            error = [("content-type", "text/plain")]
            self._finish(request_id, "Invoke", 500, error, b"Internal Server Error")

    # -- the answer, as faasgi.fc_sink writes it ----------------------------------------------

    def whole(self, status: int, headers: Headers, body: bytes, length: str | None) -> None:
        self._finish(self._request_id, "Invoke", status, headers, body, length)

    def start_stream(self, status: int, headers: Headers) -> None:
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))

    def end_stream(self) -> None:
        # The end line before the last chunk: once FC has it, the invocation is over.
        if self._request_id:
            _log_line(f"FC Invoke End RequestId: {self._request_id}")
        self.wfile.write(b"0\r\n\r\n")

    def abandon(self) -> None:
        if self._request_id:
            _log_line(f"FC Invoke End RequestId: {self._request_id}")
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _finish(
        self,
        request_id: str | None,
        name: str,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        content_length: str | None = None,
    ) -> None:
        # The end line goes out before the answer, as FC's own runtimes do: once FC has the
        # answer, the invocation is over and the next one's log may begin.
        if request_id:
            _log_line(f"FC {name} End RequestId: {request_id}")
        self._answer(status, headers, body, content_length=content_length)

    def _environ(self, body: bytes, context: RuntimeContext) -> dict[str, Any]:
        """The environ FC 2.0's Python runtime would build for this request."""
        raw_path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "fc.context": context,
            "fc.request_uri": self.path,
        }
        for name, value in self.headers.items():  # repeated headers come one by one
            lower = name.lower()
            if lower in _CREDENTIAL_HEADERS or lower in _HOP_BY_HOP:
                continue
            if lower == "content-type":
                environ["CONTENT_TYPE"] = value
                continue
            key = "HTTP_" + name.upper().replace("-", "_")
            if key in environ:
                environ[key] += ("; " if key == "HTTP_COOKIE" else ",") + value
            else:
                environ[key] = value
        return environ

    def _answer(
        self,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        *,
        content_length: str | None = None,
    ) -> None:
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)  # repeated names stay repeated: every Set-Cookie
        self.send_header("Content-Length", content_length or str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)


def _unused_start_response(*args: Any) -> Any:
    raise AssertionError("faasgi.fc_sink writes the answer; FC 2.0's start_response is unused")


def _log_line(line: str) -> None:
    # FC's log collection splits a custom runtime's stdout into invocations by these lines.
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def make_server(handler: Any, host: str = "0.0.0.0", port: int = DEFAULT_PORT) -> FunctionServer:
    """A server for `handler` (a faasgi Handler, or a WSGI/ASGI app to wrap in one)."""
    function = handler if isinstance(handler, Handler) else serverless(handler)
    return FunctionServer((host, port), function)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m faasgi.custom_runtime",
        description="Serve a faasgi handler as an Alibaba FC custom runtime HTTP server.",
    )
    parser.add_argument("handler", help="MODULE:HANDLER, e.g. app:handler")
    parser.add_argument("--host", default="0.0.0.0", help="FC needs 0.0.0.0 (the default)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("FC_CUSTOM_LISTEN_PORT") or DEFAULT_PORT),
        help="default: $FC_CUSTOM_LISTEN_PORT, else 9000",
    )
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        target = load_handler(args.handler)
    except UsageError as error:
        trace = getattr(error, "trace", "")  # the module raised: the user's own frames
        sys.stderr.write(trace)
        print(f"faasgi custom runtime: {error}", file=sys.stderr)
        return 1 if trace else 2
    server = make_server(target, args.host, args.port)
    print(
        f"faasgi custom runtime: serving {args.handler} on http://{args.host}:{server.server_port}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


__all__ = ["FunctionServer", "RuntimeContext", "main", "make_server"]

if __name__ == "__main__":
    sys.exit(main())
