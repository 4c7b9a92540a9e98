"""The WSGI environ built straight from an API Gateway event (HTTP API payload 2.0, REST
API payload 1.0), for the common case, skipping the intermediate `Request`.

`aws_http.parse` / `aws_rest.parse` + `WSGIRunner.environ` walk the headers three times (to
lower-case pairs, for Host and X-Forwarded-*, into `HTTP_*` keys) and allocate a list, a
tuple per header and a `Request` per call. Here one pass over the event's header dict fills
the environ. Only the shape that needs none of the general path's care takes it: no base
path, every header one string, no header name given twice or as `Cookie`; for an HTTP API
also no stage prefix in `rawPath`, no Function URL (percent-encoded path), no `cookies`
array. Anything else goes the general way, so the environ is the same either way (the
differential tests, tests/test_differential.py, hold both to Werkzeug's).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from io import BytesIO
from typing import TYPE_CHECKING, Any

from faasgi.events import aws_rest
from faasgi.events.fields import decode_body, decoded, host_header, http_version, origin_of
from faasgi.http import Request
from faasgi.wsgi import _NO_BODY, _PORTS, WSGIRunner, _environ_key, wsgi_text

if TYPE_CHECKING:
    from faasgi.events import Event, Source

Parse = Callable[["Event", str], Request]


class EnvironRequest(Request):
    """A request already turned into its WSGI environ; `method` and `path` are kept for
    the HEAD check and the error log, the other `Request` fields are not set."""

    __slots__ = ("environ",)

    def __init__(self, method: str, path: bytes, environ: dict[str, Any]) -> None:
        self.method = method
        self.path = path
        self.environ = environ


def parser_for(source: Source, handler: Any) -> Parse:
    """How `handler` parses events of `source`: straight into an environ where it can
    (an HTTP API event, a WSGI app, no base path), else `source.parse`. Decided once per
    source shape, on the first call (the app, and so the runner, may be built lazily)."""
    parse: Parse = source.parse
    build = _BUILDERS.get(source.NAME)
    if build is None or handler.base_path:
        return parse
    runner = handler._runner
    if runner is not None:  # built already (not lazy): decide now; partial adds no frame
        return partial(build, runner, parse) if runner.__class__ is WSGIRunner else parse
    chosen: Parse | None = None

    def first(event: Event, base_path: str) -> Request:
        nonlocal chosen
        if chosen is None:
            built = handler._runner
            chosen = partial(build, built, parse) if built.__class__ is WSGIRunner else parse
        return chosen(event, base_path)

    return first


def http_api_environ(runner: WSGIRunner, general: Parse, event: Event, base_path: str) -> Request:
    """The environ for this HTTP API event, or `general(event, base_path)` (the general
    path) when the event needs it."""
    context = event.get("requestContext")
    if context.__class__ is not dict or "cookies" in event:
        return general(event, base_path)
    http = context.get("http")
    if http.__class__ is not dict:
        return general(event, base_path)
    method = http.get("method")
    raw_path = event.get("rawPath") or http.get("path") or "/"
    domain = context.get("domainName")
    stage = context.get("stage")
    headers = event.get("headers")
    if (
        method.__class__ is not str
        or raw_path.__class__ is not str
        or domain.__class__ is not str
        or ".lambda-url." in domain
        or (stage and stage != "$default" and ".execute-api." in domain)
        or (headers is not None and headers.__class__ is not dict)
    ):
        return general(event, base_path)
    body = decode_body(event.get("body"), event.get("isBase64Encoded"))
    query = event.get("rawQueryString") or ""
    if query.__class__ is not str:
        return general(event, base_path)
    environ = runner._base.copy()
    environ["REQUEST_METHOD"] = method
    environ["SCRIPT_NAME"] = ""
    environ["PATH_INFO"] = path_info = (
        raw_path if raw_path.isascii() else raw_path.encode("utf-8").decode("latin-1")
    )
    environ["QUERY_STRING"] = query if query.isascii() else wsgi_text(query)
    # Placeholders keep the general path's key order; filled in once the headers are read.
    environ["SERVER_NAME"] = environ["SERVER_PORT"] = environ["SERVER_PROTOCOL"] = ""
    environ["wsgi.url_scheme"] = "https"
    if body:
        environ["wsgi.input"] = BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        environ["wsgi.input"] = _NO_BODY
    source_ip = http.get("sourceIp")
    if source_ip:
        environ["REMOTE_ADDR"] = source_ip
        environ["REMOTE_PORT"] = "0"
    if not _finish(environ, headers, False, bool(body), domain, http.get("protocol")):
        return general(event, base_path)
    return EnvironRequest(method, path_info.encode("latin-1"), environ)


def rest_api_environ(runner: WSGIRunner, general: Parse, event: Event, base_path: str) -> Request:
    """The environ for this REST API (payload 1.0) event with `multiValueHeaders` of one
    value each, or `general(event, base_path)` when the event needs the general path."""
    method = event.get("httpMethod")
    path = event.get("path") or "/"
    context = event.get("requestContext")
    headers = event.get("multiValueHeaders")
    if (
        method.__class__ is not str
        or path.__class__ is not str
        or context.__class__ is not dict
        or headers.__class__ is not dict
    ):
        return general(event, base_path)
    domain = context.get("domainName")
    if domain.__class__ is not str:
        return general(event, base_path)
    root = aws_rest._stage_prefix(path, context, domain)  # the general path's order
    query = aws_rest._query_string(event)
    body = decode_body(event.get("body"), event.get("isBase64Encoded"))
    environ = runner._base.copy()
    environ["REQUEST_METHOD"] = method
    environ["SCRIPT_NAME"] = decoded(root).decode("latin-1") if root else ""
    environ["PATH_INFO"] = (path_bytes := decoded(path)).decode("latin-1")
    environ["QUERY_STRING"] = query = wsgi_text(query)
    uri = wsgi_text(root + path)
    environ["REQUEST_URI"] = environ["RAW_URI"] = uri + "?" + query if query else uri
    environ["SERVER_NAME"] = environ["SERVER_PORT"] = environ["SERVER_PROTOCOL"] = ""
    environ["wsgi.url_scheme"] = "https"
    if body:
        environ["wsgi.input"] = BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        environ["wsgi.input"] = _NO_BODY
    identity = context.get("identity") or aws_rest._NO_CONTEXT
    source_ip = identity.get("sourceIp")
    if source_ip:
        environ["REMOTE_ADDR"] = source_ip
        environ["REMOTE_PORT"] = "0"
    if not _finish(environ, headers, True, bool(body), domain, context.get("protocol")):
        return general(event, base_path)
    return EnvironRequest(method, path_bytes, environ)


def _finish(
    environ: dict[str, Any],
    headers: dict[str, Any] | None,
    multi: bool,
    has_body: bool,
    domain: str,
    protocol: Any,
) -> bool:
    """Headers (one value each; `multi`: as one-item lists) into `environ`, then the
    origin and protocol keys; False where the general path must merge or move headers."""
    if headers:
        keys = _RAW_KEYS
        for name, value in headers.items():
            if multi:
                if value.__class__ is not list or len(value) != 1:
                    return False  # repeated, none or not a list: the general path merges them
                value = value[0]
            key = keys.get(name) or _raw_key(keys, name)
            if len(key) > 1:  # "HTTP_*" or "CONTENT_TYPE"
                if value.__class__ is not str or key in environ:
                    return False  # repeated or not a string: the general path merges them
                environ[key] = value if value.isascii() else value.encode("utf-8").decode("latin-1")
            elif key == _COOKIE or value.__class__ is not str:
                return False  # the general path moves the cookie header last
            elif not has_body and name.lower() == "content-length":
                environ["CONTENT_LENGTH"] = "0"
    host = environ.get("HTTP_HOST")
    proto = environ.get("HTTP_X_FORWARDED_PROTO")
    port = environ.get("HTTP_X_FORWARDED_PORT")
    if not (
        (host is None or host.isascii())
        and (proto is None or proto.isascii())
        and (port is None or port.isascii())
    ):
        return False  # the general path reads these before their WSGI transcoding
    # The general path's `origin()`, given the three headers it reads (first of each).
    scheme, (server_name, server_port) = origin_of(host, proto, port, "https", domain or None)
    if host is None and domain:  # as origin() adds it: every HTTP/1.1 request has one
        environ["HTTP_HOST"] = wsgi_text(host_header(scheme, server_name, server_port))
    environ["SERVER_NAME"] = server_name
    environ["SERVER_PORT"] = _PORTS.get(server_port) or str(server_port)
    environ["SERVER_PROTOCOL"] = "HTTP/" + http_version(protocol)
    environ["wsgi.url_scheme"] = scheme
    return True


#: Header names as the event spells them -> environ keys, per process; `_DROPPED` for
#: Content-Length (set from the body) and names with "_" (see `_environ_key`).
_RAW_KEYS: dict[str, str] = {}
_DROPPED = "-"
_COOKIE = "!"


def _raw_key(keys: dict[str, str], name: str) -> str:
    """ "Content-Type" -> "CONTENT_TYPE", "X-Id" -> "HTTP_X_ID", memoised per raw name."""
    lower = name.lower()
    if lower == "content-type":
        key = "CONTENT_TYPE"
    elif lower == "cookie":
        key = _COOKIE
    elif lower == "content-length":
        key = _DROPPED
    else:
        key = _environ_key(lower) or _DROPPED
    if len(keys) < 512:
        keys[name] = key
    return key


_BUILDERS: dict[str, Callable[..., Request]] = {
    "aws-http": http_api_environ,
    "aws-rest": rest_api_environ,
}
