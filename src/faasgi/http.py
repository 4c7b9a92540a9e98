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
from typing import Any

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


# -- origins, versions and paths, as events carry them --------------------------------------------


#: (host, x-forwarded-proto, x-forwarded-port, defaults) -> (scheme, (host, port))
_ORIGINS: dict[tuple[Any, ...], tuple[str, tuple[str, int]]] = {}
_ORIGINS_LIMIT = 256


def host_header(scheme: str, name: str, port: int) -> str:
    """The Host header for an origin: the port only when not the scheme's default."""
    return name if port == (443 if scheme == "https" else 80) else f"{name}:{port}"


def origin_of(
    host: str | None,
    proto: str | None,
    port: str | None,
    default_scheme: str,
    fallback_host: str | None,
) -> tuple[str, tuple[str, int]]:
    """`origin()` given the first Host, X-Forwarded-Proto and X-Forwarded-Port values."""
    cache_key = (host, proto, port, default_scheme, fallback_host)
    found = _ORIGINS.get(cache_key)
    if found is None:
        found = _origin(host, proto, port, default_scheme, fallback_host)
        if len(_ORIGINS) < _ORIGINS_LIMIT:
            _ORIGINS[cache_key] = found
    return found


def _origin(
    host_value: str | None,
    proto: str | None,
    forwarded_port: str | None,
    default_scheme: str,
    fallback_host: str | None,
) -> tuple[str, tuple[str, int]]:
    scheme = default_scheme
    if proto:
        scheme = proto.split(",", 1)[0].strip().lower() or default_scheme
    host = host_value or fallback_host or "localhost"
    port: int | None = None
    if host.startswith("["):  # [IPv6]:port
        end = host.find("]")
        if end != -1 and host[end + 1 : end + 2] == ":":
            port = _port(host[end + 2 :])
            host = host[: end + 1]
    elif ":" in host:
        host, _, text = host.rpartition(":")
        port = _port(text)
    if port is None and forwarded_port:
        port = _port(forwarded_port.split(",", 1)[0])
    if port is None:
        port = 443 if scheme == "https" else 80
    return scheme, (host, port)


def _port(text: str) -> int | None:
    text = text.strip()
    if text.isdigit() and len(text) <= 5:
        return int(text)
    return None


def decoded(raw: str) -> bytes:
    """Percent-decode a raw path once, to bytes (a `%` that starts no escape stays as is)."""
    if "%" not in raw:
        return raw.encode("utf-8")
    from urllib.parse import unquote_to_bytes  # only for a path with an escape

    return unquote_to_bytes(raw)


#: "HTTP/1.1" -> "1.1"; the few protocol strings platforms send, looked up, not sliced.
_VERSIONS = {"HTTP/1.1": "1.1", "HTTP/2.0": "2", "HTTP/2": "2", "HTTP/1.0": "1.0", "HTTP/3": "3"}


def http_version(protocol: Any) -> str:
    """ASGI `http_version` for a platform's protocol string ("HTTP/1.1" -> "1.1")."""
    version = _VERSIONS.get(protocol) if protocol.__class__ is str else None
    if version is not None:
        return version
    if isinstance(protocol, str) and protocol.startswith("HTTP/"):
        return protocol[5:]
    return "1.1"


_TEXT = "text/plain; charset=utf-8"


def plain(status: int, text: str) -> Response:
    return Response(status, [("content-type", _TEXT)], text.encode("utf-8"))
