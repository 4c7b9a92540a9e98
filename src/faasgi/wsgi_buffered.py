"""The buffered answer of a WSGI app to an API Gateway event, in one pass: event -> PEP 3333
environ -> app -> the platform's answer dict.

This is the path nearly every WSGI function on Lambda takes (an HTTP API or REST API event,
a managed runtime that wants the answer as the handler's return value), so it is a
specialisation of the general one (`source.parse` -> `Request` -> `WSGIRunner` -> `Reply`
-> `Sink` -> `source.render`), chosen once per instance: no request object, no reply
object, no sink, the headers read once (the environ: `faasgi.wsgi_environ`) and the
answer's headers written once.

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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from faasgi.lifecycle import Invocation, _current, finish
from faasgi.logs import INFO, report, report_logger
from faasgi.wsgi import (
    _RESPONSE_NAMES,
    WSGIRunner,
    _response_name,
    close_iterable,
    header_text,
    status_code,
)
from faasgi.wsgi_environ import http_api, rest_api

if TYPE_CHECKING:  # annotations only: building these costs every cold start
    from faasgi.bodies import BodyCodec
    from faasgi.function import Handler
    from faasgi.wsgi_environ import Respond, Serve

    Render = Callable[[int, Any, bytes, BodyCodec], dict[str, Any]]


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
    runner = handler._runner
    if shape == "aws-http":
        return http_api(runner, _serve_with(handler, runner, _render_http, shape))
    return rest_api(runner, _serve_with(handler, runner, _render_rest, shape))


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
                status = status_code(status_line)
                body_failed = True  # a chunk that is not bytes
                body = b"".join(parts)
                body_failed = False
                answer = render(status, headers, body if method != "HEAD" else b"", codec)
            except Exception:
                # The app's failure is a 500 with the request id; the body's, a plain 500.
                if result is not None:
                    close_iterable(result)
                    result = None
                failed = (
                    handler.default_sink().failed(None)
                    if body_failed
                    else handler._app_failed(method, path.encode("latin-1"), invocation)
                )
                answer = render(failed.status, failed.headers, failed.body, codec)
            if result is not None:
                close_iterable(result)
            if invocation.after:
                finish(invocation, runner)
        finally:
            reset_current(token)
        if report_memo.get(INFO, True) and report_logger.isEnabledFor(INFO):
            report(invocation, answer["statusCode"], handler.instance.init_ms)
        return answer

    return respond


def _other_http_header(rendered: dict[str, str], cookies: list[str], name: str, value: str) -> None:
    """One response header `_render_http`'s fast case leaves: a name not seen yet, a repeated
    one (comma-joined), Set-Cookie (into `cookies`), a value that is not ASCII."""
    key = _RESPONSE_NAMES.get(name) or _response_name(name)
    if not value.isascii():
        value = header_text(value)
    if key == "set-cookie":
        cookies.append(value)
    elif key in rendered:
        rendered[key] += "," + value
    else:
        rendered[key] = value


def _render_http(status: int, headers: Any, body: bytes, codec: BodyCodec) -> dict[str, Any]:
    """`aws_http.render`: repeated headers comma-joined, Set-Cookie in `cookies`."""
    names = _RESPONSE_NAMES  # "Content-Type" -> "content-type", shared with faasgi.wsgi
    rendered: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = names.get(name)  # None for a name not seen yet
        if key is not None and key != "set-cookie" and value.isascii() and key not in rendered:
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
    names = _RESPONSE_NAMES
    rendered: dict[str, list[str]] = {}
    for name, value in headers:
        key = names.get(name)
        if key is not None and value.isascii() and key not in rendered:
            rendered[key] = [value]
        else:
            if key is None:
                key = _response_name(name)
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
