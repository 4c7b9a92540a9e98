"""Alibaba Cloud Function Compute 3.0 HTTP trigger (built-in runtimes): event -> Request,
Response -> platform dict. Knows nothing about WSGI or ASGI.

FC 3.0 loses information before the function sees it: header names are Go-canonical,
repeated headers and query values are folded into one comma-joined string, there is no raw
query string and no Host header. What can be recovered is: the host comes from
`requestContext.domainName` (and is put back as the Host header), cookies are split on `;`
and `,` (cookie values cannot hold a comma, RFC 6265 4.1.1), the path is decoded once from
`rawPath` (percent-encoded as the client sent it; `requestContext.http.path` is a decoded
copy). A folded query value (`?tag=a&tag=b` arrives as `"a,b"`) stays one value: `?tag=a,b`
looks the same.
"""

from __future__ import annotations

import json
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
    folded_headers,
    origin,
    single_value_headers,
    split_root,
)
from faasgi.http import Headers, Request, Response, decoded, http_version
from faasgi.logs import warn_once

NAME = "fc-http"


def parse(event: Event, base_path: str) -> Request:
    context = event["requestContext"]
    http = context["http"]
    method = http.get("method") if isinstance(http, dict) else None
    raw_path = event.get("rawPath") or "/"
    if not isinstance(method, str) or not isinstance(raw_path, str):
        raise MalformedEvent("'requestContext.http.method' and 'rawPath' must be strings")
    headers = single_value_headers(event.get("headers"))
    for index, (name, value) in enumerate(headers):
        if name == "cookie" and "," in value:
            crumbs = (c.strip() for c in value.replace(",", ";").split(";"))
            headers[index] = (name, "; ".join(c for c in crumbs if c))
    parameters = event.get("queryParameters")
    root, rest = split_root(raw_path, base_path)
    # The real event has no Host header (Go's net/http moves Host out of the map): `origin`
    # adds one for `requestContext.domainName`.
    scheme, server = origin(headers, "https", context.get("domainName"))
    source_ip = http.get("sourceIp")
    return Request(
        method,
        decoded(rest),
        urlencode(parameters, quote_via=quote) if parameters else "",
        headers,
        decode_body(event.get("body"), event.get("isBase64Encoded")),
        decoded(root) if root else b"",
        raw_path,
        scheme,
        server,
        (source_ip, 0) if source_ip else None,
        http_version(http.get("protocol")),
    )


def render(response: Response, event: Event, codec: BodyCodec) -> dict[str, Any]:
    body, is_base64 = codec.encode(response)
    headers, cookies = folded_headers(response.headers, several_cookies="last")
    if cookies > 1:
        warn_once(
            "fc3-cookies",
            "Function Compute 3.0 HTTP triggers take one value per response header: only the "
            "last of %d Set-Cookie headers was sent. Deploy as a custom runtime "
            "(adapters/alibaba-fc/) to send them all.",
            cookies,
        )
    return {
        "statusCode": response.status,
        "headers": headers,
        "isBase64Encoded": is_base64,
        "body": body,
    }


def go_canonical(name: str) -> str:
    """`x-forwarded-for` -> `X-Forwarded-For`, as Go's net/http rewrites header names."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def build_event(request: Request, stamp: Stamp) -> dict[str, Any]:
    """The event FC 3.0 builds, with its losses: folded values, canonical names, no Host."""
    headers: dict[str, str] = {}
    for name, value in request.headers:
        if name == "host":
            continue
        key = go_canonical(name)
        headers[key] = headers[key] + "," + value if key in headers else value
    query: dict[str, str] = {}
    for field, text in parse_qsl(request.query_string, keep_blank_values=True):
        query[field] = query[field] + "," + text if field in query else text
    raw_path = request.raw_path if request.raw_path is not None else "/"
    host = request.server[0]
    for name, value in request.headers:
        if name == "host":
            host = value.rsplit(":", 1)[0]
    body = request.body
    text_body, is_base64 = event_body(body)
    seconds = stamp.time_ms // 1000
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return {
        "version": "v1",
        "rawPath": raw_path,
        "body": text_body,
        "isBase64Encoded": is_base64,
        "headers": headers,
        "queryParameters": query,
        "requestContext": {
            "accountId": "1234567890123456",
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": decoded(raw_path).decode("utf-8", "replace"),
                "protocol": "HTTP/" + request.http_version,
                "sourceIp": request.client[0] if request.client else stamp.source_ip,
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": f"1-{seconds:08x}-{stamp.request_id.replace('-', '')[:8]}",
            "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timeEpoch": str(stamp.time_ms),
        },
    }


def read_response(payload: Any) -> Response:
    if isinstance(payload, (bytes, str)):
        payload = json.loads(payload)
    if not isinstance(payload, dict) or "statusCode" not in payload:
        raise MalformedEvent("an FC 3.0 HTTP answer needs a dict with 'statusCode'")
    headers: Headers = [
        (name.lower(), str(value)) for name, value in (payload.get("headers") or {}).items()
    ]
    data = answer_body(payload)
    return Response(int(payload["statusCode"]), headers, data)
