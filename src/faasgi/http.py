"""The one internal model of an HTTP exchange: every event source parses into a `Request` and
renders a `Response`. WSGI and ASGI runners see only these, never a platform's dict.

Headers are kept as the platform's JSON carries them: lower-case text names, text values,
repeated names as separate pairs in arrival order. Platforms hand over text and want text
back, so each runner converts once, at its own edge (ASGI to bytes; WSGI only for the rare
non-ASCII value); a str -> bytes -> str round trip per header would be wasted per call.
Paths are percent-decoded bytes, so each runner decodes them exactly once into the form
its spec wants (latin-1 for WSGI, UTF-8 for ASGI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

#: (lower-case name, value) pairs, repeated names kept in order.
Headers = list[tuple[str, str]]


class Request:
    """One HTTP request as the app should see it, whatever platform carried it.

    A plain slotted class rather than a dataclass: creating dataclasses costs import time,
    and `import faasgi` is part of every cold start.
    """

    __slots__ = (
        "body",
        "client",
        "headers",
        "http_version",
        "method",
        "path",
        "query_string",
        "raw_path",
        "root_path",
        "scheme",
        "server",
    )

    def __init__(
        self,
        method: str,
        path: bytes,
        query_string: str,
        headers: Headers,
        body: bytes,
        root_path: bytes = b"",
        raw_path: str | None = None,
        scheme: str = "https",
        server: tuple[str, int] = ("localhost", 443),
        client: tuple[str, int] | None = None,
        http_version: str = "1.1",
    ) -> None:
        self.method = method
        #: Percent-decoded path below `root_path` (WSGI `PATH_INFO` as bytes).
        self.path = path
        #: Query string exactly as on the wire (percent-encoded), without the `?`.
        self.query_string = query_string
        self.headers = headers
        self.body = body
        #: Percent-decoded mount point (WSGI `SCRIPT_NAME`, ASGI `root_path`): stage or base path.
        self.root_path = root_path
        #: Full request path as on the wire, root path included; None when the platform
        #: gives only a decoded path and re-encoding would be a guess.
        self.raw_path = raw_path
        self.scheme = scheme
        #: (host, port) the client addressed.
        self.server = server
        #: (address, port) of the client as the platform saw it; port 0 when unknown.
        self.client = client
        self.http_version = http_version

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.root_path + self.path!r}>"


class Response:
    """What the app answered, before a platform encodes it."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Headers | None = None, body: bytes = b"") -> None:
        self.status = status
        self.headers: Headers = [] if headers is None else headers
        self.body = body

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"

    def header(self, name: str) -> str | None:
        """First value of a header (name in lower case), or None."""
        for key, value in self.headers:
            if key == name:
                return value
        return None


class Reply:
    """A response as the app produces it: status and headers first, then the body chunk by
    chunk, then the work the app does after its response (`close()`).

    Runners (`faasgi.wsgi`, `faasgi.asgi`) return one per request and never know who
    consumes it; sinks (`faasgi.sinks`) consume it: buffer it into a platform's answer, or
    stream it. The consumer iterates `chunks()` (or calls `body()`) exactly once, delivers
    the response, and only then calls `close()`, which runs what the app does after its
    response (ASGI code after the last body message, such as Starlette background tasks;
    WSGI `close()`). Iteration raises when the app fails part-way through its body.
    """

    __slots__ = ("headers", "omit_body", "status", "work_left")

    def __init__(self, status: int, headers: Headers) -> None:
        self.status = status
        self.headers = headers
        #: True for a HEAD request: the app's body is produced (and dropped), never sent.
        self.omit_body = False
        #: False once nothing is left for `close()` to do (it need not be called then).
        self.work_left = True

    def chunks(self) -> Iterator[bytes]:
        """Each non-empty body chunk as the app produces it."""
        produced = self._produce()
        if self.omit_body:
            for _ in produced:
                pass
            return
        yield from produced

    def _produce(self) -> Iterator[bytes]:
        raise NotImplementedError

    def body(self) -> bytes:
        """The whole body, for sinks that buffer."""
        body = b"".join(self._produce())
        return b"" if self.omit_body else body

    def close(self, budget: Callable[[], float | None] | None = None) -> None:
        """Run the app's work after its response, for at most `budget()` seconds where it
        can be cut (ASGI); once; safe to call when the body was not fully consumed."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status}>"


class FixedReply(Reply):
    """A reply whose body is known up front: faasgi's own answers (400, 500)."""

    __slots__ = ("_body",)

    def __init__(self, response: Response) -> None:
        super().__init__(response.status, response.headers)
        self._body = response.body
        self.work_left = False

    def _produce(self) -> Iterator[bytes]:
        if self._body:
            yield self._body

    def body(self) -> bytes:
        return b"" if self.omit_body else self._body


def reason_phrase(status: int) -> str:
    """The standard reason phrase for a status code ("" when the code has none)."""
    return _REASONS.get(status, "")


_REASONS: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non-Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi-Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a Teapot",
    421: "Misdirected Request",
    422: "Unprocessable Content",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Required",
}
