"""Alibaba Function Compute 2.0 HTTP functions: the runtime calls
`handler(environ, start_response)` with a real PEP 3333 environ. environ -> Request,
Response -> `start_response` + body. Knows nothing about whether the app is WSGI or ASGI.

FC 2.0 always says `wsgi.url_scheme="http"` and merges `os.environ` into the environ; the
scheme is taken from X-Forwarded-Proto when present. Without a custom domain the path
starts with FC's proxy prefix, which FC names in the X-Fc-Base-Path header: it becomes the
root path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from faasgi.errors import MalformedEvent
from faasgi.events.fields import origin, split_root
from faasgi.http import Headers, Request, Response, reason_phrase
from faasgi.wsgi import header_text, wsgi_text

NAME = "fc-wsgi"

_SPECIAL = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}


def matches(environ: Mapping[str, Any]) -> bool:
    return "REQUEST_METHOD" in environ and "wsgi.input" in environ


def parse(environ: Mapping[str, Any], base_path: str) -> Request:
    """The request in an FC 2.0 environ; MalformedEvent for an environ PEP 3333 would refuse
    (no `wsgi.input`, a non-text `CONTENT_LENGTH`, a `PATH_INFO` that is not latin-1)."""
    try:
        return _parse(environ, base_path)
    except MalformedEvent:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        # UnicodeError is a ValueError: a PATH_INFO that is not latin-1 text lands here.
        raise MalformedEvent(f"malformed FC 2.0 environ: {error!r}") from None


def _parse(environ: Mapping[str, Any], base_path: str) -> Request:
    headers: Headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if os.environ.get(key) == value:
                continue  # FC 2.0 merges the process environment in: HTTP_PROXY is no header
            headers.append((key[5:].replace("_", "-").lower(), header_text(str(value))))
        elif key in _SPECIAL and value:
            headers.append((_SPECIAL[key], header_text(str(value))))
    length = environ.get("CONTENT_LENGTH") or ""
    if not isinstance(length, str):
        raise MalformedEvent(f"CONTENT_LENGTH must be a string, got {type(length).__name__}")
    stream = environ.get("wsgi.input")
    if stream is None:
        raise MalformedEvent("the environ has no 'wsgi.input'")
    body = stream.read(int(length)) if length.isdigit() else stream.read()
    if not isinstance(body, bytes):
        raise MalformedEvent("'wsgi.input' must give bytes")
    method = environ["REQUEST_METHOD"]
    query = environ.get("QUERY_STRING", "")
    if not isinstance(method, str) or not isinstance(query, str):
        raise MalformedEvent("REQUEST_METHOD and QUERY_STRING must be strings")
    script_name = environ.get("SCRIPT_NAME", "")
    path = environ.get("PATH_INFO", "") or "/"
    fc_base = (environ.get("HTTP_X_FC_BASE_PATH") or "").rstrip("/")
    mount, path = split_root(path, fc_base)
    root = script_name + mount
    if base_path:
        extra, path = split_root(path, base_path)
        root += extra
    request_uri = environ.get("fc.request_uri") or ""
    raw_path = request_uri.split("?", 1)[0] if request_uri else None
    scheme, server = origin(
        headers, environ.get("wsgi.url_scheme", "http"), environ.get("SERVER_NAME")
    )
    remote = environ.get("REMOTE_ADDR")
    protocol = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
    return Request(
        method=method,
        path=path.encode("latin-1"),
        query_string=query,
        headers=headers,
        body=body,
        root_path=root.encode("latin-1"),
        raw_path=raw_path,
        scheme=scheme,
        server=server,
        client=(remote, 0) if remote else None,
        http_version=protocol[5:] if protocol.startswith("HTTP/") else "1.1",
    )


def respond(response: Response, start_response: Callable[..., Any]) -> list[bytes]:
    """Hand the buffered response to FC 2.0, which keeps repeated headers (several Set-Cookie)."""
    status = f"{response.status} {reason_phrase(response.status)}".rstrip()
    start_response(status, [(name, wsgi_text(value)) for name, value in response.headers])
    return [response.body]
