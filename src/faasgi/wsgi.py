"""Run a WSGI app (PEP 3333) on one Request and hand back its `Reply`: status and headers
once the app has produced its first non-empty chunk (PEP 3333 sends headers no earlier), then
each item of its iterable as the consumer pulls it, then the iterable's `close()` as the
work after the response. Never imports asyncio: a WSGI function should not pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from io import BytesIO
from typing import TYPE_CHECKING, Any

from faasgi.http import Reply, Request
from faasgi.logs import get_logger

if TYPE_CHECKING:  # aliases for annotations only: building them costs every cold start
    from types import TracebackType

    WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
    ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

logger = get_logger("faasgi.wsgi")

_CACHE_LIMIT = 512
_PORTS = {443: "443", 80: "80"}


class _NoBody:
    """`wsgi.input` for a request without a body: read-only and shared, so the many
    bodiless requests do not each build a BytesIO."""

    __slots__ = ()

    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self, size: int = -1) -> bytes:
        return b""

    def readlines(self, hint: int = -1) -> list[bytes]:
        return []

    def __iter__(self) -> Iterator[bytes]:
        return iter(())

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release."""


_NO_BODY = _NoBody()


def wsgi_text(value: str) -> str:
    """Header or query text as PEP 3333 wants it: the UTF-8 bytes as a latin-1 string."""
    return value if value.isascii() else value.encode("utf-8").decode("latin-1")


def header_text(value: str) -> str:
    """A WSGI (latin-1) string back into the text a platform's JSON carries."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


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
        # "x-forwarded-for" -> "HTTP_X_FORWARDED_FOR", computed once per header name.
        self._keys: dict[str, str | None] = {
            "content-type": "CONTENT_TYPE",
            "content-length": None,
        }

    def environ(self, request: Request, invocation: Any) -> dict[str, Any]:
        environ = self._base.copy()
        body = request.body
        server_name, server_port = request.server
        environ["REQUEST_METHOD"] = request.method
        environ["SCRIPT_NAME"] = request.root_path.decode("latin-1")
        environ["PATH_INFO"] = request.path.decode("latin-1")
        query = environ["QUERY_STRING"] = wsgi_text(request.query_string)
        raw_path = request.raw_path
        if raw_path is not None:
            # The request target as the client sent it, where the event keeps it (Apache,
            # gunicorn and uWSGI set these; REST APIs, Function URLs, ALB and FC do keep it).
            uri = wsgi_text(raw_path)
            environ["REQUEST_URI"] = environ["RAW_URI"] = uri + "?" + query if query else uri
        environ["SERVER_NAME"] = server_name
        environ["SERVER_PORT"] = _PORTS.get(server_port) or str(server_port)
        environ["SERVER_PROTOCOL"] = "HTTP/" + request.http_version
        environ["wsgi.url_scheme"] = request.scheme
        if body:
            environ["wsgi.input"] = BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        else:
            environ["wsgi.input"] = _NO_BODY
        client = request.client
        if client is not None:
            environ["REMOTE_ADDR"] = client[0]
            environ["REMOTE_PORT"] = str(client[1])
        keys = self._keys
        for name, value in request.headers:
            key = keys.get(name, "")
            if key == "":
                key = _environ_key(name)
                if len(keys) < _CACHE_LIMIT:
                    keys[name] = key
            if key is None:
                if name == "content-length" and not body:
                    environ["CONTENT_LENGTH"] = "0"
                continue
            if not value.isascii():
                value = value.encode("utf-8").decode("latin-1")
            if key in environ:
                # PEP 3333 / RFC 9110: repeated fields joined; cookies use "; " (RFC 6265 5.4).
                environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
            else:
                environ[key] = value
        # The keys apps moving from apig-wsgi already read, and faasgi's own.
        event = invocation.event
        environ["faasgi.invocation"] = invocation
        environ["apig_wsgi.full_event"] = event
        environ["apig_wsgi.context"] = invocation.context
        environ["apig_wsgi.request_context"] = event.get("requestContext")
        return environ

    def __call__(self, request: Request, invocation: Any, hold: bool = True) -> WSGIReply:
        # `close()` is the work after the response: it always waits for the consumer.
        return self.call(self.environ(request, invocation))

    def startup(self) -> None:
        """WSGI has no startup protocol; init hooks cover what an app needs."""

    def shutdown(self) -> None:
        """WSGI has no shutdown protocol; shutdown hooks cover what an app needs."""

    def call(self, environ: dict[str, Any]) -> WSGIReply:
        reply = WSGIReply()
        result = reply._result = self.app(environ, reply.start_response)
        try:
            iterator = iter(result)
            # PEP 3333: the status may wait until the first non-empty chunk is produced.
            for first in iterator:
                if first:
                    reply._first = first
                    reply._iterator = iterator
                    break
            if not reply.status:
                raise RuntimeError("the WSGI app returned without calling start_response")
        except BaseException:
            close = getattr(result, "close", None)
            if close is not None:
                close()
            raise
        reply.sent = True
        return reply


class WSGIReply(Reply):
    """A WSGI app's response: `start_response` fills in status and headers; the first
    chunk is produced before the consumer sees them, the rest as it pulls them."""

    __slots__ = ("_first", "_iterator", "_result", "sent", "written")

    def __init__(self) -> None:
        self.status = 0  # set by start_response
        self.headers = []
        self.omit_body = False
        self.work_left = True
        #: Bytes given to the legacy write() callable.
        self.written: list[bytes] = []
        #: True once the status and headers went to the consumer.
        self.sent = False
        self._result: Iterable[bytes] | None = None
        self._iterator: Iterator[bytes] | None = None
        self._first = b""

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            if self.sent:
                # PEP 3333: once the headers are out, re-raise the app's error.
                raise exc_info[1].with_traceback(exc_info[2])
            # Nothing has reached the client yet, so an error page may replace whatever the
            # app started; drop what it wrote so far.
            self.written.clear()
            exc_info = None
        elif self.status:
            raise AssertionError("start_response called a second time without exc_info")
        self.status = status_code(status)
        names = _RESPONSE_NAMES
        self.headers = [
            (
                names.get(name) or _response_name(name),
                value if value.isascii() else header_text(value),
            )
            for name, value in headers
        ]
        return self.written.append

    def _produce(self) -> Iterator[bytes]:
        written = self.written
        if written:  # the legacy write() callable, before the iterable's items
            yield from written
            written.clear()
        if self._first:
            yield self._first
        iterator = self._iterator
        if iterator is None:
            return
        for chunk in iterator:
            if written:
                yield from written
                written.clear()
            if chunk:
                yield chunk

    def body(self) -> bytes:
        iterator = self._iterator
        written = self.written
        if written or iterator is None:
            body = b"".join(self._produce())
        else:
            # Joined even when there is one chunk: a str is a TypeError (a 500), not a body.
            body = b"".join((self._first, *iterator))
            if written:  # write() called while the iterable ran: it came first, as before
                body = b"".join(written) + body
                written.clear()
        return b"" if self.omit_body else body

    def close(self, budget: Callable[[], float | None] | None = None) -> None:
        result, self._result = self._result, None
        if result is not None:
            close_iterable(result)


def close_iterable(result: Any) -> None:
    """PEP 3333: call the app's iterable's `close()` if it has one, once the response is out
    (an error there is logged: nothing is left to tell the client)."""
    close = getattr(result, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            logger.exception("the WSGI app's close() raised after its response")


def status_code(status: str) -> int:
    """The code of a WSGI status line ("200 OK" -> 200); ValueError for one without it."""
    code = status[:3]
    if not code.isdigit():
        raise ValueError(f"WSGI status {status!r} does not start with a 3-digit code")
    return int(code)


def _environ_key(name: str) -> str | None:
    # A name with "_" would collide with its "-" twin in the environ; gunicorn and nginx
    # drop such headers so a client cannot spoof e.g. X-Forwarded-For as X_Forwarded_For.
    if "_" in name:
        return None
    return "HTTP_" + name.upper().replace("-", "_")


#: "Content-Type" -> "content-type", memoised: apps send the same few names every time.
_RESPONSE_NAMES: dict[str, str] = {}


def _response_name(name: str) -> str:
    key = name.lower()
    if len(_RESPONSE_NAMES) < _CACHE_LIMIT:
        _RESPONSE_NAMES[name] = key
    return key
