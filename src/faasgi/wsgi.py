"""Run a WSGI app (PEP 3333) on one Request and collect its Response.

The whole body is buffered, as every FaaS platform needs; the app's iterable is always
closed. Never imports asyncio: a WSGI function should not pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from io import BytesIO
from types import TracebackType
from typing import Any

from faasgi.http import Headers, Request, Response

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

_HEADER_KEY_LIMIT = 512


class WSGIRunner:
    """Calls one WSGI app; created once per instance, reused by every invocation."""

    __slots__ = ("_base", "_keys", "app")

    def __init__(self, app: WSGIApp, *, multithread: bool = False) -> None:
        self.app = app
        self._base: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": multithread,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "SERVER_SOFTWARE": "faasgi",
        }
        # b"x-forwarded-for" -> "HTTP_X_FORWARDED_FOR", computed once per header name.
        self._keys: dict[bytes, str | None] = {
            b"content-type": "CONTENT_TYPE",
            b"content-length": None,
        }

    def environ(self, request: Request, invocation: Any) -> dict[str, Any]:
        environ = self._base.copy()
        body = request.body
        server_name, server_port = request.server
        environ["REQUEST_METHOD"] = request.method
        environ["SCRIPT_NAME"] = request.root_path.decode("latin-1")
        environ["PATH_INFO"] = request.path.decode("latin-1")
        environ["QUERY_STRING"] = request.query_string.decode("latin-1")
        environ["SERVER_NAME"] = server_name
        environ["SERVER_PORT"] = str(server_port)
        environ["SERVER_PROTOCOL"] = "HTTP/" + request.http_version
        environ["wsgi.url_scheme"] = request.scheme
        environ["wsgi.input"] = BytesIO(body)
        if body:
            environ["CONTENT_LENGTH"] = str(len(body))
        if request.client is not None:
            environ["REMOTE_ADDR"] = request.client[0]
            environ["REMOTE_PORT"] = str(request.client[1])
        keys = self._keys
        for name, value in request.headers:
            key = keys.get(name, "")
            if key == "":
                key = _environ_key(name)
                if len(keys) < _HEADER_KEY_LIMIT:
                    keys[name] = key
            if key is None:
                if name == b"content-length" and not body:
                    environ["CONTENT_LENGTH"] = "0"
                continue
            text = value.decode("latin-1")
            if key in environ:
                # PEP 3333 / RFC 9110: repeated fields joined; cookies use "; " (RFC 6265 5.4).
                environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + text
            else:
                environ[key] = text
        # Keys apps moving from apig-wsgi and serverless-wsgi already read.
        event = invocation.event
        context = invocation.context
        environ["faasgi.invocation"] = invocation
        environ["apig_wsgi.full_event"] = event
        environ["apig_wsgi.context"] = context
        environ["apig_wsgi.request_context"] = event.get("requestContext")
        environ["serverless.event"] = event
        environ["serverless.context"] = context
        return environ

    def __call__(self, request: Request, invocation: Any) -> Response:
        return self.call(self.environ(request, invocation))

    def startup(self) -> None:
        """WSGI has no startup protocol; init hooks cover what an app needs."""

    def shutdown(self) -> None:
        """WSGI has no shutdown protocol; shutdown hooks cover what an app needs."""

    def call(self, environ: dict[str, Any]) -> Response:
        exchange = _Exchange()
        result = self.app(environ, exchange.start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if exchange.status is None:
            raise RuntimeError("the WSGI app returned without calling start_response")
        if exchange.written:
            body = b"".join(exchange.written) + body
        return Response(exchange.status, exchange.headers, body)


def _environ_key(name: bytes) -> str | None:
    # A name with "_" would collide with its "-" twin in the environ; gunicorn and nginx
    # drop such headers so a client cannot spoof e.g. X-Forwarded-For as X_Forwarded_For.
    if b"_" in name:
        return None
    return "HTTP_" + name.decode("latin-1").upper().replace("-", "_")


class _Exchange:
    """The state one `start_response` call sets up."""

    __slots__ = ("headers", "status", "written")

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: Headers = []
        self.written: list[bytes] = []

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            # Nothing has reached the client yet (the body is buffered), so an error page
            # may replace whatever the app started; drop what it wrote so far.
            self.written.clear()
            exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called a second time without exc_info")
        code = status[:3]
        if not code.isdigit():
            raise ValueError(f"WSGI status {status!r} does not start with a 3-digit code")
        self.status = int(code)
        names = _RESPONSE_NAMES
        self.headers = [
            (names.get(name) or _response_name(name), value.encode("latin-1"))
            for name, value in headers
        ]
        return self.written.append


#: "Content-Type" -> b"content-type", memoised: apps send the same few names every time.
_RESPONSE_NAMES: dict[str, bytes] = {}


def _response_name(name: str) -> bytes:
    key = name.lower().encode("latin-1")
    if len(_RESPONSE_NAMES) < _HEADER_KEY_LIMIT:
        _RESPONSE_NAMES[name] = key
    return key
