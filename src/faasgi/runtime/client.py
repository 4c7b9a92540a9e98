"""The Lambda Runtime API (2018-06-01), client side: `/next`, `/response` (buffered or
streamed, with the error trailers), `/error` and `/init/error`, over one persistent HTTP/1.1
connection (a streamed response gets its own). Standard library only.

Wire facts: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html (endpoints,
headers, error body) and https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html
("Implementing response streaming in a custom runtime": the mode header, chunked encoding,
the declared error trailers). Knows nothing about WSGI, ASGI or faasgi's handler.

HTTP is spoken over a plain socket rather than http.client: the Runtime API is a local,
well-behaved peer, and http.client's header parsing (the email package) costs more per
invocation than everything else in the loop together. The socket read in `/next` is a
Python-level call, so a signal handler (SIGTERM) runs while it waits (PEP 475).
"""

from __future__ import annotations

import base64
import json
import logging
import socket
from typing import Any, BinaryIO

logger = logging.getLogger("faasgi.runtime")

BASE = "/2018-06-01/runtime"
ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
RESPONSE_MODE = "Lambda-Runtime-Function-Response-Mode"
#: The X-Ray error cause on `/error` (JSON: working_directory, exceptions, paths), as
#: awslambdaric sends it and the Runtime API reads it (aws-lambda-runtime-interface-emulator
#: internal/lambda/rapi/handler/invocationerror.go); left out at 1 MiB or more, as there.
XRAY_ERROR_CAUSE = "Lambda-Runtime-Function-XRay-Error-Cause"
_XRAY_LIMIT = 1024 * 1024
#: Set by `/next` on newer Lambda builds; awslambdaric 4.2.2 reads it and sends it back on
#: that invocation's `/response` and `/error` (lambda_runtime_client.py), so faasgi does too.
INVOCATION_ID = "Lambda-Runtime-Invocation-Id"
#: What Lambda expects for an HTTP response streamed to a Function URL or API Gateway: a JSON
#: prelude, 8 NUL bytes, then the body (aws-lambda-nodejs-runtime-interface-client
#: src/HttpResponseStream.js; aws-lambda-go events/lambda_function_urls.go).
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
_LINE_LIMIT = 65536


class RuntimeAPIError(Exception):
    """The Runtime API answered something other than what the protocol promises."""


class NextEvent:
    """What `/next` hands over: the event's bytes and the invocation's headers."""

    __slots__ = ("body", "headers", "request_id")

    def __init__(self, request_id: str, headers: dict[str, str], body: bytes) -> None:
        self.request_id = request_id
        #: Lower-case names.
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _Wire:
    """One HTTP/1.1 connection to the Runtime API."""

    def __init__(self, host: str, port: int) -> None:
        self.host_header = f"Host: {host}:{port}\r\n".encode("latin-1")
        # No timeout: /next is a long poll that may wait for minutes (runtimes-api.html).
        self.sock = socket.create_connection((host, port))
        # No Nagle: a streamed chunk must leave at once, not wait for the previous one's ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader: BinaryIO = self.sock.makefile("rb")

    def head(self, method: str, path: str, headers: dict[str, str]) -> bytes:
        lines = [f"{method} {path} HTTP/1.1\r\n".encode("latin-1"), self.host_header]
        lines.extend(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items())
        return b"".join(lines)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_answer(self) -> tuple[int, dict[str, str], bytes]:
        reader = self.reader
        line = reader.readline(_LINE_LIMIT)
        if not line:
            raise ConnectionResetError("the Runtime API closed the connection")
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise RuntimeAPIError(f"not an HTTP status line: {line[:100]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        while True:
            line = reader.readline(_LINE_LIMIT)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            length = headers.get("content-length", "0")
            body = reader.read(int(length)) if length.isdigit() else b""
        return status, headers, body

    def _read_chunked(self) -> bytes:
        reader = self.reader
        parts = []
        while True:
            size = int(reader.readline(_LINE_LIMIT).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                break
            parts.append(reader.read(size))
            reader.readline(_LINE_LIMIT)
        while reader.readline(_LINE_LIMIT) not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class RuntimeAPI:
    """One runtime's client. Not thread-safe: the runtime loop is its one user."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"AWS_LAMBDA_RUNTIME_API must be host:port, not {address!r}")
        self.host = host
        self.port = int(port)
        self._wire: _Wire | None = None
        #: The current invocation's `Lambda-Runtime-Invocation-Id`, echoed on its answer.
        self.invocation_id: str | None = None

    # -- plumbing ---------------------------------------------------------------------------

    def _exchange(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        fields = dict(headers or {})
        if body is not None:
            fields["Content-Length"] = str(len(body))
        for attempt in (1, 2):
            wire = self._wire
            fresh = wire is None
            if wire is None:
                wire = self._wire = _Wire(self.host, self.port)
            try:
                wire.send(wire.head(method, path, fields) + b"\r\n" + (body or b""))
                status, answer_headers, data = wire.read_answer()
            except (ConnectionResetError, BrokenPipeError):
                # The server closed the kept-alive connection between two calls: once more
                # on a new one (never twice: a real failure must surface).
                wire.close()
                self._wire = None
                if fresh or attempt == 2:
                    raise
                continue
            if answer_headers.get("connection", "").lower() == "close":
                wire.close()
                self._wire = None
            return status, answer_headers, data
        raise AssertionError("unreachable")

    def _expect(self, status: int, expected: int, what: str, data: bytes) -> None:
        if status != expected:
            text = data[:500].decode("utf-8", "replace")
            raise RuntimeAPIError(f"{what}: the Runtime API answered {status}: {text}")

    # -- the endpoints ------------------------------------------------------------------------

    def next(self) -> NextEvent:
        status, headers, body = self._exchange("GET", BASE + "/invocation/next")
        self._expect(status, 200, "GET /invocation/next", body)
        request_id = headers.get("lambda-runtime-aws-request-id")
        if not request_id:
            raise RuntimeAPIError("GET /invocation/next answered without a request id")
        self.invocation_id = headers.get("lambda-runtime-invocation-id")
        return NextEvent(request_id, headers, body)

    def _answer_headers(self, content_type: str) -> dict[str, str]:
        headers = {"Content-Type": content_type}
        if self.invocation_id:
            headers[INVOCATION_ID] = self.invocation_id
        return headers

    def respond(self, request_id: str, body: bytes, content_type: str) -> None:
        path = f"{BASE}/invocation/{request_id}/response"
        headers = self._answer_headers(content_type)
        status, _, data = self._exchange("POST", path, body, headers)
        self._expect(status, 202, f"POST {path}", data)

    def error(
        self, request_id: str, error: dict[str, Any], xray_cause: dict[str, Any] | None = None
    ) -> None:
        path = f"{BASE}/invocation/{request_id}/error"
        body = json.dumps(error).encode("utf-8")
        headers = self._answer_headers("application/json")
        if xray_cause is not None:
            cause = json.dumps(xray_cause)  # ASCII: a valid header value
            if len(cause) < _XRAY_LIMIT:
                headers[XRAY_ERROR_CAUSE] = cause
        status, _, data = self._exchange("POST", path, body, headers)
        self._expect(status, 202, f"POST {path}", data)

    def init_error(self, error: dict[str, Any]) -> None:
        path = BASE + "/init/error"
        body = json.dumps(error).encode("utf-8")
        headers = {ERROR_TYPE: str(error.get("errorType") or "Runtime.Unknown")}
        status, _, data = self._exchange("POST", path, body, headers)
        self._expect(status, 202, f"POST {path}", data)

    def stream(self, request_id: str, content_type: str) -> Stream:
        """Start a streamed `/response`; write chunks to it, then `finish()` it."""
        path = f"{BASE}/invocation/{request_id}/response"
        return Stream(_Wire(self.host, self.port), path, content_type, self.invocation_id)


class Stream:
    """A chunked `POST /response` with `Lambda-Runtime-Function-Response-Mode: streaming`:
    each `write` goes out at once as one HTTP chunk; an error after the first byte goes out
    as the trailers announced up front (runtimes-custom.html)."""

    def __init__(
        self, wire: _Wire, path: str, content_type: str, invocation_id: str | None = None
    ) -> None:
        self._wire = wire
        self.path = path
        headers = {
            "Content-Type": content_type,
            RESPONSE_MODE: "streaming",
            "Transfer-Encoding": "chunked",
            "Trailer": f"{ERROR_TYPE}, {ERROR_BODY}",
        }
        if invocation_id:
            headers[INVOCATION_ID] = invocation_id
        self._pending = wire.head("POST", path, headers) + b"\r\n"

    def write(self, data: bytes) -> None:
        if data:
            # The request head leaves with the first chunk: one write, not two.
            self._wire.send(self._pending + b"%x\r\n%b\r\n" % (len(data), data))
            self._pending = b""

    def finish(self, error: dict[str, Any] | None = None) -> None:
        """End the body (with the error trailers when `error` is given) and read Lambda's
        answer; the connection is closed afterwards."""
        ending = self._pending + b"0\r\n"
        if error is not None:
            encoded = base64.b64encode(json.dumps(error).encode("utf-8"))
            error_type = str(error.get("errorType") or "Function.Unknown")
            ending += f"{ERROR_TYPE}: {error_type}\r\n".encode("latin-1")
            ending += f"{ERROR_BODY}: ".encode("ascii") + encoded + b"\r\n"
        try:
            self._wire.send(ending + b"\r\n")
            status, _, data = self._wire.read_answer()
            if status != 202:
                text = data[:500].decode("utf-8", "replace")
                raise RuntimeAPIError(
                    f"POST {self.path}: the Runtime API answered {status}: {text}"
                )
        finally:
            self._wire.close()

    def abandon(self) -> None:
        self._wire.close()
