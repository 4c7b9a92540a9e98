"""API Gateway REST API (payload format 1.0, also HTTP APIs set to 1.0): event -> Request,
Response -> platform dict. Knows nothing about WSGI or ASGI.

The event's `path` is already decoded and lacks the stage; `requestContext.path` has it, so
the stage (or any mapping prefix) becomes the root path. Repeated query keys come from
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
    decoded,
    encoded,
    event_body,
    http_version,
    multi_value_headers,
    origin,
    single_value_headers,
    split_root,
)
from faasgi.http import Headers, Request, Response

NAME = "aws-rest"


def parse(event: Event, base_path: str) -> Request:
    method = event["httpMethod"]
    path = event.get("path") or "/"
    if not isinstance(path, str) or not isinstance(method, str):
        raise MalformedEvent("'httpMethod' and 'path' must be strings")
    context = event.get("requestContext") or {}

    root = _stage_prefix(path, context)
    rest = path
    if base_path:
        mount, rest = split_root(rest, base_path)
        root += mount

    if "multiValueHeaders" in event:
        headers = multi_value_headers(event["multiValueHeaders"])
    else:
        headers = single_value_headers(event.get("headers"))
    scheme, server = origin(headers, "https", context.get("domainName"))
    identity = context.get("identity") or {}
    source_ip = identity.get("sourceIp")
    full = root + rest if root else path
    return Request(
        method,
        rest.encode("utf-8"),
        _query_string(event),
        headers,
        decode_body(event.get("body"), event.get("isBase64Encoded")),
        root.encode("utf-8"),
        encoded(full),
        scheme,
        server,
        (source_ip, 0) if source_ip else None,
        http_version(context.get("protocol")),
    )


def _stage_prefix(path: str, context: Any) -> str:
    """The part of the URL path in front of `path`: `/{stage}` on the execute-api domain."""
    full = context.get("path")
    if isinstance(full, str) and len(full) > len(path) and full.endswith(path):
        prefix = full[: len(full) - len(path)].rstrip("/")
        if prefix:
            return prefix
    stage = context.get("stage")
    domain = context.get("domainName") or ".execute-api."
    if isinstance(stage, str) and stage and stage != "$default" and ".execute-api." in domain:
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
    raw_path = request.raw_path if request.raw_path is not None else "/"
    full = decoded(raw_path).decode("utf-8", "replace")
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
