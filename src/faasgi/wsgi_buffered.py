"""The buffered answer of a WSGI app to an API Gateway event, in one pass: event -> PEP 3333
environ -> app -> the platform's answer dict.

This is the path nearly every WSGI function on Lambda takes (an HTTP API or REST API event,
a managed runtime that wants the answer as the handler's return value), so it is a
specialisation of the general one (`source.parse` -> `Request` -> `WSGIRunner` -> `Reply`
-> `Sink` -> `source.render`), chosen once per instance: no request object, no reply
object, no sink, the headers read once and the answer's headers written once.

It is taken only where the result is the general path's, byte for byte
(tests/test_wsgi_buffered.py holds the two together on captured and generated events, and
tests/test_differential.py holds both to Werkzeug's client): a WSGI app, no `base_path`,
no Server-Timing, no large-response store, the default (buffered) sink. An event of
another shape (a named stage in an HTTP API's path, a Function URL, a header that is not
one string, a query in an unexpected type) returns `None` before anything has run, and the
handler takes the general path. The one deliberate difference: the general path can stream,
so it refuses `start_response(exc_info)` once the first chunk is out; nothing is out before
the buffered answer is complete, so here the error page replaces the body (PEP 3333 allows
either).
"""

from __future__ import annotations

import sys
from base64 import b64decode
from binascii import Error as Base64Error
from collections.abc import Callable
from io import BytesIO
from typing import TYPE_CHECKING, Any

from faasgi.events.fields import decoded, host_header, http_version, origin_of
from faasgi.lifecycle import Invocation, _current
from faasgi.logs import report, report_logger
from faasgi.sinks import finish
from faasgi.wsgi import _NO_BODY, _PORTS, WSGIRunner, _environ_key, header_text, logger, wsgi_text

if TYPE_CHECKING:
    from faasgi.bodies import BodyCodec
    from faasgi.function import Handler

Serve = Callable[[dict[str, Any], Any], "dict[str, Any] | None"]
Render = Callable[[int, Any, bytes, "BodyCodec"], dict[str, Any]]

_INFO = 20  # logging.INFO, without importing logging's constants here


def eligible(handler: Handler) -> bool:
    """Whether `handler` can ever take this path: not for an ASGI app, a base path,
    Server-Timing or a large-response store."""
    return (
        handler._runner.__class__ is WSGIRunner
        and not handler.base_path
        and not handler.server_timing
        and handler.codec.large is None
    )


def shape_of(event: Any) -> str | None:
    """ "aws-http" or "aws-rest" for an event that looks like API Gateway's, else None."""
    if event.__class__ is not dict:
        return None
    if event.get("version") == "2.0" and "routeKey" in event:
        return "aws-http"
    context = event.get("requestContext")
    if "httpMethod" in event and not (context.__class__ is dict and "elb" in context):
        return "aws-rest"
    return None


def buffered_path(handler: Handler, shape: str) -> Serve:
    """The one-pass server for an `eligible` handler's events of `shape` (`shape_of`)."""
    build = _http_api if shape == "aws-http" else _rest_api
    return build(handler, handler._runner)


Respond = Callable[[dict[str, Any], dict[str, Any], Any, str, str], dict[str, Any]]


def _serve_with(handler: Handler, runner: WSGIRunner, render: Render, source_name: str) -> Respond:
    """`respond(environ, event, context, method, path)`: run the app on a finished environ
    and render its answer with `render`, all within the invocation's context."""
    app = runner.app
    invocations = handler.instance.invocations
    codec = handler.codec
    set_current = _current.set
    reset_current = _current.reset
    # Logger.isEnabledFor's own memo, read first: a REPORT line that is off costs no call.
    # logging clears (never replaces) it whenever a level changes; {} when logging is not
    # loaded (the lazy logger's check is cheap then) or the memo is gone.
    report_memo: dict[int, bool] = (
        getattr(report_logger.real(), "_cache", {}) if "logging" in sys.modules else {}
    )

    def respond(
        environ: dict[str, Any], event: dict[str, Any], context: Any, method: str, path: str
    ) -> dict[str, Any]:
        invocation = Invocation(event, context, source_name, next(invocations) == 0)
        environ["faasgi.invocation"] = invocation
        environ["apig_wsgi.full_event"] = event
        environ["apig_wsgi.context"] = context
        environ["apig_wsgi.request_context"] = event["requestContext"]
        token = set_current(invocation)
        try:
            parts: list[bytes] = []
            started: list[Any] = [None, None]

            def start_response(
                status: str, headers: list[tuple[str, str]], exc_info: Any = None
            ) -> Callable[[bytes], None]:
                if started[0] is not None:
                    if exc_info is None:
                        raise AssertionError("start_response called a second time without exc_info")
                    parts.clear()  # nothing has left yet: the error page replaces it all
                started[0] = status
                started[1] = headers
                return parts.append  # the legacy write(): in order with the iterable's items

            result = None
            body_failed = False  # as the general path: the body's failure, not the app's
            try:
                result = app(environ, start_response)
                try:
                    parts.extend(result)
                except Exception:
                    body_failed = bool(parts)  # after a first chunk
                    raise
                status_line, headers = started
                if status_line is None:
                    raise RuntimeError("the WSGI app returned without calling start_response")
                code = status_line[:3]
                if not code.isdigit():
                    raise ValueError(f"WSGI status {status_line!r} does not start with 3 digits")
                body_failed = True  # a chunk that is not bytes
                body = b"".join(parts)
                body_failed = False
                answer = render(int(code), headers, body if method != "HEAD" else b"", codec)
            except Exception:
                # The app's failure is a 500 with the request id; the body's, a plain 500.
                if result is not None:
                    _close(result)
                    result = None
                failed = (
                    handler._sink.failed(None)
                    if body_failed
                    else handler._app_failed(method, path.encode("latin-1"), invocation)
                )
                answer = render(failed.status, failed.headers, failed.body, codec)
            close = getattr(result, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # the answer is made: nothing left to tell the client
                    logger.exception("the WSGI app's close() raised after its response")
            if invocation.after:
                finish(invocation, runner)
        finally:
            reset_current(token)
        if report_memo.get(_INFO, True) and report_logger.isEnabledFor(_INFO):
            report(invocation, answer["statusCode"], handler.instance.init_ms)
        return answer

    return respond


def _close(result: Any) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # the answer is made: nothing left to tell the client
            logger.exception("the WSGI app's close() raised after its response")


class _ResponseNames(dict[str, str]):
    """ "Content-Type" -> "content-type", memoised: apps send the same few names; Set-Cookie
    names -> "", which the fast case of the renderers leaves to the general one."""

    def add(self, name: str) -> str:
        key = name.lower()
        if key == "set-cookie":
            key = ""
        if len(self) < 512:
            self[name] = key
        return key


_NAMES = _ResponseNames()


def _other_http_header(rendered: dict[str, str], cookies: list[str], name: str, value: str) -> None:
    """One response header `_render_http`'s fast case leaves: a name not seen yet, a repeated
    one (comma-joined), Set-Cookie (into `cookies`), a value that is not ASCII."""
    key = _NAMES.get(name)
    if key is None:
        key = _NAMES.add(name)
    if not value.isascii():
        value = header_text(value)
    if not key:
        cookies.append(value)
    elif key in rendered:
        rendered[key] += "," + value
    else:
        rendered[key] = value


def _render_http(status: int, headers: Any, body: bytes, codec: BodyCodec) -> dict[str, Any]:
    """`aws_http.render`: repeated headers comma-joined, Set-Cookie in `cookies`."""
    names = _NAMES
    rendered: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = names.get(name)  # None for a name not seen yet, "" for Set-Cookie
        if key and value.isascii() and key not in rendered:
            rendered[key] = value
        else:
            _other_http_header(rendered, cookies, name, value)
    text, is_base64 = codec.body(
        body, rendered.get("content-type"), rendered.get("content-encoding")
    )
    answer: dict[str, Any] = {
        "statusCode": status,
        "headers": rendered,
        "body": text,
        "isBase64Encoded": is_base64,
    }
    if cookies:
        answer["cookies"] = cookies
    return answer


def _render_rest(status: int, headers: Any, body: bytes, codec: BodyCodec) -> dict[str, Any]:
    """`aws_rest.render`: every header in `multiValueHeaders`."""
    names = _NAMES
    rendered: dict[str, list[str]] = {}
    for name, value in headers:
        key = names.get(name)
        if key and value.isascii() and key not in rendered:
            rendered[key] = [value]
        else:
            if key is None:
                key = names.add(name)
            key = key or "set-cookie"
            if not value.isascii():
                value = header_text(value)
            if key in rendered:
                rendered[key].append(value)
            else:
                rendered[key] = [value]
    content_type = rendered.get("content-type")
    content_encoding = rendered.get("content-encoding")
    text, is_base64 = codec.body(
        body,
        content_type[0] if content_type else None,
        content_encoding[0] if content_encoding else None,
    )
    return {
        "statusCode": status,
        "multiValueHeaders": rendered,
        "body": text,
        "isBase64Encoded": is_base64,
    }


# -- the environ, straight from the event ----------------------------------------------------


def _http_api(handler: Handler, runner: WSGIRunner) -> Serve:
    """HTTP API (payload 2.0) events on the `$default` stage or a custom domain."""
    respond = _serve_with(handler, runner, _render_http, "aws-http")
    base = runner._base
    keys = _KEYS
    servers = _SERVERS

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
                raw_path if raw_path.isascii() else raw_path.encode("utf-8").decode("latin-1")
            )
            environ["QUERY_STRING"] = query if query.isascii() else wsgi_text(query)
            body = event.get("body")
            if body:
                body = _body(body, event.get("isBase64Encoded"))
                if body is None:
                    return None
                environ["wsgi.input"] = BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
            else:
                environ["wsgi.input"] = _NO_BODY
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
            if _COOKIE in environ:  # last, as the general path joins and moves it
                environ["HTTP_COOKIE"] = wsgi_text(environ.pop(_COOKIE))
            protocol = http.get("protocol")
            server = servers.get(
                (
                    environ.get("HTTP_HOST"),
                    environ.get("HTTP_X_FORWARDED_PROTO"),
                    environ.get("HTTP_X_FORWARDED_PORT"),
                    domain,
                    protocol,
                )
            ) or _server(environ, domain, protocol)
            if server is None:
                return None
            environ.update(server)
        except (AttributeError, KeyError, TypeError, ValueError):
            return None  # malformed: the general path answers 400
        return respond(environ, event, context, method, path_info)

    return serve


def _rest_api(handler: Handler, runner: WSGIRunner) -> Serve:
    """REST API (payload 1.0) events with `multiValueHeaders`."""
    from faasgi.events.aws_rest import _NO_CONTEXT, _query_string, _stage_prefix

    respond = _serve_with(handler, runner, _render_rest, "aws-rest")
    base = runner._base
    keys = _KEYS
    servers = _SERVERS

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
            body = event.get("body")
            if body:
                body = _body(body, event.get("isBase64Encoded"))
                if body is None:
                    return None
                environ["wsgi.input"] = BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
            else:
                environ["wsgi.input"] = _NO_BODY
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
            if _COOKIE in environ:  # last, as the general path joins and moves it
                environ["HTTP_COOKIE"] = wsgi_text(environ.pop(_COOKIE))
            protocol = context_field.get("protocol")
            server = servers.get(
                (
                    environ.get("HTTP_HOST"),
                    environ.get("HTTP_X_FORWARDED_PROTO"),
                    environ.get("HTTP_X_FORWARDED_PORT"),
                    domain,
                    protocol,
                )
            ) or _server(environ, domain, protocol)
            if server is None:
                return None
            environ.update(server)
        except (AttributeError, KeyError, TypeError, ValueError):
            return None  # malformed: the general path answers 400
        return respond(environ, event, context, method, path_info)

    return serve


def _body(body: Any, is_base64: Any) -> bytes | None:
    """The request body; None where the general path must answer (not a string, bad base64)."""
    if body.__class__ is not str:
        return None
    if is_base64:
        try:
            return b64decode(body, validate=True)
        except (Base64Error, ValueError):
            return None
    return body.encode("utf-8")


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
