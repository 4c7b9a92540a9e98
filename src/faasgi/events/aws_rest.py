"""API Gateway REST API (payload format 1.0, also HTTP APIs set to 1.0): event -> Request,
Response -> platform dict. Knows nothing about WSGI or ASGI.

`path` and `requestContext.path` arrive percent-encoded, exactly as the client sent them
(captured July 2026; LocalStack's snapshot of real AWS: `test%2Balias@gmail.com` stays), so
they are decoded once here and kept as the raw path. `path` lacks the stage that
`requestContext.path` has: the stage (or any mapping prefix) becomes the root path. Query
values arrive decoded and are re-encoded. Repeated query keys come from
`multiValueQueryStringParameters`, repeated headers from `multiValueHeaders`, and every
response header leaves in `multiValueHeaders` so several Set-Cookie survive.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from faasgi.bodies import BodyCodec
from faasgi.errors import MalformedEvent
from faasgi.events import Event, Stamp
from faasgi.events.fields import (
    answer_body,
    decode_body,
    event_body,
    first_header,
    multi_value_headers,
    origin,
    single_value_headers,
    split_root,
)
from faasgi.http import Headers, Request, Response, decoded, http_version

NAME = "aws-rest"

_NO_CONTEXT: dict[str, Any] = {}


def parse(event: Event, base_path: str) -> Request:
    method = event["httpMethod"]
    path = event.get("path") or "/"
    if not isinstance(path, str) or not isinstance(method, str):
        raise MalformedEvent("'httpMethod' and 'path' must be strings")
    # Hand-written events may have no requestContext: serve them with defaults.
    context = event.get("requestContext") or _NO_CONTEXT

    if "multiValueHeaders" in event:
        headers = multi_value_headers(event["multiValueHeaders"])
    else:
        headers = single_value_headers(event.get("headers"))
    domain = context.get("domainName")
    if domain is None:  # a hand-written event: the Host header tells the domain
        domain = first_header(headers, "host")

    root = _stage_prefix(path, context, domain)
    rest = path
    if base_path:
        mount, rest = split_root(rest, base_path)
        root += mount

    scheme, server = origin(headers, "https", domain)
    identity = context.get("identity") or _NO_CONTEXT
    source_ip = identity.get("sourceIp")
    return Request(
        method,
        decoded(rest),
        _query_string(event),
        headers,
        decode_body(event.get("body"), event.get("isBase64Encoded")),
        decoded(root) if root else b"",
        root + rest,
        scheme,
        server,
        (source_ip, 0) if source_ip else None,
        http_version(context.get("protocol")),
    )


def _stage_prefix(path: str, context: Any, domain: str | None) -> str:
    """The part of the URL path in front of `path`: `/{stage}` on the execute-api domain.

    `requestContext.path` is the whole URL path, so whatever it has in front of `path` is
    the prefix. Without it, the stage is in the URL only on the execute-api domain, told
    from a custom domain by `domainName` or else the Host header; never guessed.
    """
    full = context.get("path")
    if isinstance(full, str) and len(full) > len(path) and full.endswith(path):
        prefix = full[: len(full) - len(path)].rstrip("/")
        if prefix:
            return prefix
    stage = context.get("stage")
    if (
        isinstance(stage, str)
        and stage
        and stage != "$default"
        and isinstance(domain, str)
        and ".execute-api." in domain
        and not (isinstance(full, str) and full == path)
    ):
        # `path` never carries the stage on the default endpoint.
        return "/" + stage
    return ""


def _query_string(event: Event) -> str:
    """The query re-encoded from API Gateway's decoded values (RFC 3986 escapes)."""
    multi = event.get("multiValueQueryStringParameters")
    if multi:
        return urlencode(
            [(key, value) for key, values in multi.items() for value in values or ()],
            quote_via=quote,
        )
    single = event.get("queryStringParameters")
    if single:
        return urlencode(single, quote_via=quote)
    return ""


def render(response: Response, event: Event, codec: BodyCodec) -> dict[str, Any]:
    headers: dict[str, list[str]] = {}
    for name, value in response.headers:
        if name in headers:
            headers[name].append(value)
        else:
            headers[name] = [value]
    content_type = headers.get("content-type")
    content_encoding = headers.get("content-encoding")
    body, is_base64 = codec.body(
        response.body,
        content_type[0] if content_type else None,
        content_encoding[0] if content_encoding else None,
    )
    return {
        "statusCode": response.status,
        "multiValueHeaders": headers,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def build_event(request: Request, stamp: Stamp) -> dict[str, Any]:
    """The event a REST API's proxy integration builds for this request."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi_headers.setdefault(name, []).append(value)
    # Both paths stay percent-encoded as the client sent them (see the module docstring).
    full = request.raw_path if request.raw_path is not None else "/"
    stage = "prod" if stamp.stage == "$default" else stamp.stage
    # On the execute-api domain the URL starts with the stage and `path` lacks it; a
    # request without it stands for a custom domain, where `path` is the whole path.
    _, path = split_root(full, "/" + stage)
    path = path or "/"
    multi_query: dict[str, list[str]] = {}
    for field, text in parse_qsl(request.query_string, keep_blank_values=True):
        multi_query.setdefault(field, []).append(text)
    host = multi_headers.get("host", [request.server[0]])[0]
    body = request.body
    text_body: str | None = None
    is_base64 = False
    if body:  # REST APIs send null for no body
        text_body, is_base64 = event_body(body)
    moment = datetime.fromtimestamp(stamp.time_ms / 1000, tz=timezone.utc)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": request.method,
        "headers": {key: values[-1] for key, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": path.lstrip("/")} if path != "/" else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "extendedRequestId": stamp.request_id,
            "httpMethod": request.method,
            "identity": {
                "sourceIp": request.client[0] if request.client else stamp.source_ip,
                "userAgent": multi_headers.get("user-agent", [""])[0],
            },
            "path": full,
            "protocol": "HTTP/" + request.http_version,
            "requestId": stamp.request_id,
            "requestTime": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": stamp.time_ms,
            "resourcePath": "/{proxy+}",
            "stage": stage,
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


def read_response(payload: Any) -> Response:
    """Decode a proxy-integration answer the way API Gateway does (headers then multi-value)."""
    if not isinstance(payload, dict) or "statusCode" not in payload:
        raise MalformedEvent("a REST API proxy integration needs a dict with 'statusCode'")
    headers: Headers = []
    multi = payload.get("multiValueHeaders") or {}
    lowered_multi = {name.lower() for name in multi}
    for name, value in (payload.get("headers") or {}).items():
        if name.lower() not in lowered_multi:
            headers.append((name.lower(), str(value)))
    for name, values in multi.items():
        headers.extend((name.lower(), str(v)) for v in values)
    data = answer_body(payload)
    return Response(int(payload["statusCode"]), headers, data)
