"""The PEP 3333 environ straight from an API Gateway event (HTTP API payload 2.0, REST API
payload 1.0), for `faasgi.wsgi_buffered`: one pass over the event's fields and headers, none
of the general path's intermediate objects (`source.parse` -> `Request` ->
`WSGIRunner.environ`), the same environ (tests/test_wsgi_buffered.py).

Each server returns None, before anything has run, for an event the general path must
take: a shape it does not cover (a named stage in an HTTP API's path, a Function URL, a
header given twice or as a list, a non-ASCII Host) or a malformed one (the general path
answers 400).
"""

from __future__ import annotations

from base64 import b64decode
from binascii import Error as Base64Error
from collections.abc import Callable
from io import BytesIO
from typing import TYPE_CHECKING, Any

from faasgi.http import decoded, host_header, http_version, origin_of
from faasgi.wsgi import _NO_BODY, _PORTS, WSGIRunner, _environ_key, wsgi_text

if TYPE_CHECKING:  # annotations only: building these costs every cold start
    Serve = Callable[[dict[str, Any], Any], dict[str, Any] | None]
    #: `respond(environ, event, context, method, path)` -> the platform's answer.
    Respond = Callable[[dict[str, Any], dict[str, Any], Any, str, str], dict[str, Any]]


def http_api(runner: WSGIRunner, respond: Respond) -> Serve:
    """HTTP API (payload 2.0) events on the `$default` stage or a custom domain, each
    handed to `respond` with its environ."""
    base = runner._base
    keys = _KEYS

    def serve(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
        try:
            context_field = event.get("requestContext")
            if (
                context_field.__class__ is not dict
                or event.get("version") != "2.0"
                or "routeArn" in event  # the detector's shape test for an HTTP API event
            ):
                return None
            http = context_field["http"]
            method = http["method"]
            raw_path = event.get("rawPath") or http.get("path") or "/"
            domain = context_field.get("domainName")
            stage = context_field.get("stage")
            query = event.get("rawQueryString") or ""
            if (
                method.__class__ is not str
                or raw_path.__class__ is not str
                or domain.__class__ is not str
                or query.__class__ is not str
                or ".lambda-url." in domain
                or (stage and stage != "$default" and ".execute-api." in domain)
            ):
                return None
            environ = base.copy()
            environ["REQUEST_METHOD"] = method
            environ["SCRIPT_NAME"] = ""
            environ["PATH_INFO"] = path_info = (
                raw_path if raw_path.isascii() else wsgi_text(raw_path)
            )
            environ["QUERY_STRING"] = query if query.isascii() else wsgi_text(query)
            body = _input(environ, event.get("body"), event.get("isBase64Encoded"))
            source_ip = http.get("sourceIp")
            if source_ip:
                environ["REMOTE_ADDR"] = source_ip
                environ["REMOTE_PORT"] = "0"
            headers = event.get("headers")
            if headers:
                for name, value in headers.items():
                    key = keys.get(name)  # None for a name the fast case leaves
                    if key is not None and value.isascii() and key not in environ:
                        environ[key] = value
                    else:
                        _other_header(environ, name, value, body)
            cookies = event.get("cookies")
            if cookies:
                if cookies.__class__ is not list:
                    return None
                joined = "; ".join([c if c.__class__ is str else str(c) for c in cookies])
                cookie = environ.get(_COOKIE)
                environ[_COOKIE] = joined if cookie is None else cookie + "; " + joined
            if not _finish(environ, domain, http.get("protocol")):
                return None
        except (AttributeError, KeyError, TypeError, ValueError):
            return None  # malformed: the general path answers 400
        return respond(environ, event, context, method, path_info)

    return serve


def rest_api(runner: WSGIRunner, respond: Respond) -> Serve:
    """REST API (payload 1.0) events with `multiValueHeaders`, each handed to `respond`
    with its environ."""
    from faasgi.events.aws_rest import _NO_CONTEXT, _query_string, _stage_prefix

    base = runner._base
    keys = _KEYS

    def serve(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
        try:
            method = event.get("httpMethod")
            path = event.get("path") or "/"
            context_field = event.get("requestContext")
            headers = event.get("multiValueHeaders")
            if (
                method.__class__ is not str
                or path.__class__ is not str
                or context_field.__class__ is not dict
                or headers.__class__ is not dict
                or "elb" in context_field
                or "methodArn" in event  # the detector's shape test for a REST API event
            ):
                return None
            domain = context_field.get("domainName")
            if domain.__class__ is not str:
                return None
            # `_stage_prefix`, its common case first: requestContext.path ends with `path`.
            full = context_field.get("path")
            root = (
                full[: -len(path)].rstrip("/")
                if full.__class__ is str and full.endswith(path)
                else ""
            )
            if not root:
                root = _stage_prefix(path, context_field, domain)
            query = (
                _query_string(event)
                if event.get("multiValueQueryStringParameters")
                or event.get("queryStringParameters")
                else ""
            )
            environ = base.copy()
            environ["REQUEST_METHOD"] = method
            environ["SCRIPT_NAME"] = (
                root if root.isascii() and "%" not in root else decoded(root).decode("latin-1")
            )
            environ["PATH_INFO"] = path_info = (
                path if path.isascii() and "%" not in path else decoded(path).decode("latin-1")
            )
            if query:
                environ["QUERY_STRING"] = query = query if query.isascii() else wsgi_text(query)
            else:
                environ["QUERY_STRING"] = ""
            uri = root + path
            if not uri.isascii():
                uri = wsgi_text(uri)
            environ["REQUEST_URI"] = environ["RAW_URI"] = uri + "?" + query if query else uri
            body = _input(environ, event.get("body"), event.get("isBase64Encoded"))
            source_ip = (context_field.get("identity") or _NO_CONTEXT).get("sourceIp")
            if source_ip:
                environ["REMOTE_ADDR"] = source_ip
                environ["REMOTE_PORT"] = "0"
            # One value per name (a ValueError otherwise: the general path merges them).
            for name, (value,) in headers.items():
                key = keys.get(name)  # None for a name the fast case leaves
                if key is not None and value.isascii() and key not in environ:
                    environ[key] = value
                else:
                    _other_header(environ, name, value, body)
            if not _finish(environ, domain, context_field.get("protocol")):
                return None
        except (AttributeError, KeyError, TypeError, ValueError):
            return None  # malformed: the general path answers 400
        return respond(environ, event, context, method, path_info)

    return serve


def _input(environ: dict[str, Any], body: Any, is_base64: Any) -> bytes:
    """`wsgi.input` and `CONTENT_LENGTH` for the event's body; `_Fallback` where the general
    path must answer (a body that is not a string, or not the base64 it claims to be)."""
    if not body:
        environ["wsgi.input"] = _NO_BODY
        return b""
    if body.__class__ is not str:
        raise _Fallback("body")
    if is_base64:
        try:
            data = b64decode(body, validate=True)
        except (Base64Error, ValueError):
            raise _Fallback("body") from None
    else:
        data = body.encode("utf-8")
    environ["wsgi.input"] = BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    return data


def _finish(environ: dict[str, Any], domain: str, protocol: Any) -> bool:
    """The Cookie header last (as the general path joins and moves it), then the server
    keys; False where the general path must take the event (a non-ASCII Host)."""
    if _COOKIE in environ:
        environ["HTTP_COOKIE"] = wsgi_text(environ.pop(_COOKIE))
    server = _SERVERS.get(
        (
            environ.get("HTTP_HOST"),
            environ.get("HTTP_X_FORWARDED_PROTO"),
            environ.get("HTTP_X_FORWARDED_PORT"),
            domain,
            protocol,
        )
    ) or _server(environ, domain, protocol)
    if server is None:
        return False
    environ.update(server)
    return True


Server = dict[str, str]


def _server(environ: dict[str, Any], domain: str, protocol: Any) -> Server | None:
    """SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL, wsgi.url_scheme and, for an event
    without one, the Host header, as the general path's `origin()` finds them; memoised in
    `_SERVERS` by the headers and fields they come from (a shared dict: never changed)."""
    host = environ.get("HTTP_HOST")
    proto = environ.get("HTTP_X_FORWARDED_PROTO")
    port = environ.get("HTTP_X_FORWARDED_PORT")
    if not (
        (host is None or host.isascii())
        and (proto is None or proto.isascii())
        and (port is None or port.isascii())
    ):
        return None  # the general path reads these before their WSGI transcoding
    scheme, (server_name, server_port) = origin_of(host, proto, port, "https", domain or None)
    server: Server = {
        "SERVER_NAME": server_name,
        "SERVER_PORT": _PORTS.get(server_port) or str(server_port),
        "SERVER_PROTOCOL": "HTTP/" + http_version(protocol),
        "wsgi.url_scheme": scheme,
    }
    if host is None and domain:  # as origin() adds it: every HTTP/1.1 request has one
        server["HTTP_HOST"] = wsgi_text(host_header(scheme, server_name, server_port))
    key = (host, proto, port, domain, protocol)
    if len(_SERVERS) < 256:
        _SERVERS[key] = server  # a TypeError for an unhashable protocol: the general path
    return server


_SERVERS: dict[tuple[Any, ...], Server] = {}

#: Header names as the event spells them -> environ keys ("X-Id" -> "HTTP_X_ID"), per
#: process, for the names copied as they are; `_other_header` handles the rest.
_KEYS: dict[str, str] = {}
_COOKIE = "faasgi!cookie"  # the Cookie values so far, joined; never a real environ key


class _Fallback(ValueError):
    """The event needs the general path (raised before the app has run)."""


def _other_header(environ: dict[str, Any], name: str, value: Any, body: bytes | None) -> None:
    """One request header the loop's fast case leaves: a name not seen yet, Cookie (joined
    under `_COOKIE`), Content-Length (set from the body), a name with "_" (dropped, as
    gunicorn and nginx do), a value that is not ASCII (transcoded); raises `_Fallback`
    for a value that is not a string or a name given twice, which the general path merges."""
    if value.__class__ is not str:
        raise _Fallback(name)
    lower = name.lower()
    if lower == "cookie":
        cookie = environ.get(_COOKIE)
        environ[_COOKIE] = value if cookie is None else cookie + "; " + value
        return
    if lower == "content-length":
        if not body:
            environ["CONTENT_LENGTH"] = "0"
        return
    key = "CONTENT_TYPE" if lower == "content-type" else _environ_key(lower)
    if key is None:
        return
    if key in environ:
        raise _Fallback(name)
    environ[key] = value if value.isascii() else wsgi_text(value)
    if len(_KEYS) < 512:
        _KEYS[name] = key
