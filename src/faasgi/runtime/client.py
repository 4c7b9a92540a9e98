"""The Lambda Runtime API (2018-06-01), client side: `/next`, `/response` (buffered or
streamed, with the error trailers), `/error` and `/init/error`, over one persistent HTTP
connection (a streamed response gets its own). Standard library only.

Wire facts: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html (endpoints,
headers, error body) and https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html
("Implementing response streaming in a custom runtime": the mode header, chunked encoding,
the declared error trailers). Knows nothing about WSGI, ASGI or faasgi's handler.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
from typing import Any

logger = logging.getLogger("faasgi.runtime")

BASE = "/2018-06-01/runtime"
ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
RESPONSE_MODE = "Lambda-Runtime-Function-Response-Mode"
#: What Lambda expects for an HTTP response streamed to a Function URL or API Gateway: a JSON
#: prelude, 8 NUL bytes, then the body (aws-lambda-nodejs-runtime-interface-client
#: src/HttpResponseStream.js; aws-lambda-go events/lambda_function_urls.go).
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"


class RuntimeAPIError(Exception):
    """The Runtime API answered something other than what the protocol promises."""


class NextEvent:
    """What `/next` hands over: the event's bytes and the invocation's headers."""

    __slots__ = ("body", "headers", "request_id")

    def __init__(self, request_id: str, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.request_id = request_id
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


class RuntimeAPI:
    """One runtime's client. Not thread-safe: the runtime loop is its one user."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"AWS_LAMBDA_RUNTIME_API must be host:port, not {address!r}")
        self.host = host
        self.port = int(port)
        self._connection: http.client.HTTPConnection | None = None

    # -- plumbing ---------------------------------------------------------------------------

    def _connect(self) -> http.client.HTTPConnection:
        # No timeout: /next is a long poll that may wait for minutes (runtimes-api.html).
        return http.client.HTTPConnection(self.host, self.port)

    def _exchange(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        for attempt in (1, 2):
            connection = self._connection
            fresh = connection is None
            if connection is None:
                connection = self._connection = self._connect()
            try:
                connection.request(method, path, body, headers or {})
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed the kept-alive connection between two calls: once more
                # on a new one (never twice: a real failure must surface).
                connection.close()
                self._connection = None
                if fresh or attempt == 2:
                    raise
                continue
            if response.will_close:
                connection.close()
                self._connection = None
            return response.status, response.headers, data
        raise AssertionError("unreachable")

    def _expect(self, status: int, expected: int, what: str, data: bytes) -> None:
        if status != expected:
            text = data[:500].decode("utf-8", "replace")
            raise RuntimeAPIError(f"{what}: the Runtime API answered {status}: {text}")

    # -- the endpoints ------------------------------------------------------------------------

    def next(self) -> NextEvent:
        status, headers, body = self._exchange("GET", BASE + "/invocation/next")
        self._expect(status, 200, "GET /invocation/next", body)
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        if not request_id:
            raise RuntimeAPIError("GET /invocation/next answered without a request id")
        return NextEvent(request_id, headers, body)

    def respond(self, request_id: str, body: bytes, content_type: str) -> None:
        path = f"{BASE}/invocation/{request_id}/response"
        status, _, data = self._exchange("POST", path, body, {"Content-Type": content_type})
        self._expect(status, 202, f"POST {path}", data)

    def error(self, request_id: str, error: dict[str, Any]) -> None:
        path = f"{BASE}/invocation/{request_id}/error"
        body = json.dumps(error).encode("utf-8")
        status, _, data = self._exchange("POST", path, body, {"Content-Type": "application/json"})
        self._expect(status, 202, f"POST {path}", data)

    def init_error(self, error: dict[str, Any]) -> None:
        path = BASE + "/init/error"
        body = json.dumps(error).encode("utf-8")
        headers = {ERROR_TYPE: str(error.get("errorType") or "Runtime.Unknown")}
        status, _, data = self._exchange("POST", path, body, headers)
        self._expect(status, 202, f"POST {path}", data)

    def stream(self, request_id: str, content_type: str) -> Stream:
        """Start a streamed `/response`; write chunks to it, then `finish()` it."""
        return Stream(self._connect(), f"{BASE}/invocation/{request_id}/response", content_type)


class Stream:
    """A chunked `POST /response` with `Lambda-Runtime-Function-Response-Mode: streaming`:
    each `write` goes out at once as one HTTP chunk; an error after the first byte goes out
    as the trailers announced up front (runtimes-custom.html)."""

    def __init__(
        self, connection: http.client.HTTPConnection, path: str, content_type: str
    ) -> None:
        self._connection = connection
        self.path = path
        connection.putrequest("POST", path, skip_accept_encoding=True)
        connection.putheader("Content-Type", content_type)
        connection.putheader(RESPONSE_MODE, "streaming")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.putheader("Trailer", f"{ERROR_TYPE}, {ERROR_BODY}")
        connection.endheaders()

    def write(self, data: bytes) -> None:
        if data:
            self._connection.send(b"%x\r\n%b\r\n" % (len(data), data))

    def finish(self, error: dict[str, Any] | None = None) -> None:
        """End the body (with the error trailers when `error` is given) and read Lambda's
        answer; the connection is closed afterwards."""
        ending = b"0\r\n"
        if error is not None:
            encoded = base64.b64encode(json.dumps(error).encode("utf-8"))
            error_type = str(error.get("errorType") or "Function.Unknown")
            ending += f"{ERROR_TYPE}: {error_type}\r\n".encode("latin-1")
            ending += f"{ERROR_BODY}: ".encode("ascii") + encoded + b"\r\n"
        try:
            self._connection.send(ending + b"\r\n")
            response = self._connection.getresponse()
            data = response.read()
            if response.status != 202:
                text = data[:500].decode("utf-8", "replace")
                raise RuntimeAPIError(
                    f"POST {self.path}: the Runtime API answered {response.status}: {text}"
                )
        finally:
            self._connection.close()

    def abandon(self) -> None:
        self._connection.close()
