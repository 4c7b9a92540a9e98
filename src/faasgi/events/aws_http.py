"""API Gateway HTTP API (payload 2.0) and Lambda Function URLs: event -> Request,
Response -> platform dict. Knows nothing about WSGI or ASGI.

`rawPath` and `rawQueryString` are used as they came; request cookies arrive in a `cookies`
array and response cookies leave in one; other repeated response headers are comma-joined.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from faasgi.bodies import BodyCodec
from faasgi.errors import MalformedEvent
from faasgi.events import Event, Stamp
from faasgi.events.fields import (
    answer_body,
    decode_body,
    decoded,
    event_body,
    http_version,
    origin,
    single_value_headers,
    split_root,
)
from faasgi.http import Headers, Request, Response

NAME = "aws-http"


def parse(event: Event, base_path: str) -> Request:
    context = event["requestContext"]
    http = context["http"]
    if not isinstance(http, dict) or "method" not in http:
        raise MalformedEvent("'requestContext.http' has no 'method'")
    raw_path = event.get("rawPath") or http.get("path") or "/"
    if not isinstance(raw_path, str):
        raise MalformedEvent("'rawPath' must be a string")

    # A named stage on the execute-api domain is part of rawPath ("/dev/hello"); on a
    # custom domain or the "$default" stage it is not (serverless-wsgi and Zappa get
    # "/$default" and doubled stages here).
    root, rest = "", raw_path
    stage = context.get("stage")
    if (
        stage
        and stage != "$default"
        and ".execute-api." in (context.get("domainName") or ".execute-api.")
    ):
        root, rest = split_root(raw_path, "/" + stage)
    if base_path:
        mount, rest = split_root(rest, base_path)
        root += mount

    headers = single_value_headers(event.get("headers"))
    cookies = event.get("cookies")
    if cookies:
        _merge_cookies(headers, cookies)
    scheme, server = origin(headers, "https", context.get("domainName"))
    source_ip = http.get("sourceIp")
    query = event.get("rawQueryString") or ""
    return Request(
        http["method"],
        decoded(rest),
        query if query.__class__ is str else str(query),
        headers,
        decode_body(event.get("body"), event.get("isBase64Encoded")),
        decoded(root) if root else b"",
        raw_path,
        scheme,
        server,
        (source_ip, 0) if source_ip else None,
        http_version(http.get("protocol")),
    )


def _merge_cookies(headers: Headers, cookies: list[Any]) -> None:
    joined = "; ".join(str(c) for c in cookies)
    for index, (name, value) in enumerate(headers):
        if name == "cookie":
            headers[index] = (name, value + "; " + joined)
            return
    headers.append(("cookie", joined))


def render(response: Response, event: Event, codec: BodyCodec) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in response.headers:
        if name == "set-cookie":
            cookies.append(value)
        elif name in headers:
            headers[name] += "," + value
        else:
            headers[name] = value
    body, is_base64 = codec.body(
        response.body, headers.get("content-type"), headers.get("content-encoding")
    )
    result: dict[str, Any] = {
        "statusCode": response.status,
        "headers": headers,
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if cookies:
        result["cookies"] = cookies
    return result


def build_event(request: Request, stamp: Stamp) -> dict[str, Any]:
    """The event API Gateway builds for this request (what `faasgi serve` sends)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        elif name in headers:
            headers[name] += "," + value
        else:
            headers[name] = value
    raw_path = request.raw_path if request.raw_path is not None else "/"
    stage_prefix = "" if stamp.stage == "$default" else "/" + stamp.stage
    host = headers.get("host", request.server[0])
    body = request.body
    text_body, is_base64 = event_body(body)
    query = request.query_string
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": stage_prefix + raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": stage_prefix + decoded(raw_path).decode("utf-8", "replace"),
                "protocol": "HTTP/" + request.http_version,
                "sourceIp": request.client[0] if request.client else stamp.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": stamp.request_id,
            "routeKey": "$default",
            "stage": stamp.stage,
            "time": _clf_time(stamp.time_ms),
            "timeEpoch": stamp.time_ms,
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = _folded_query(query)
    if body:
        event["body"] = text_body
    return event


def _folded_query(query: str) -> dict[str, str]:
    """`queryStringParameters` as API Gateway folds it: repeated keys comma-joined."""
    folded: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        folded[key] = folded[key] + "," + value if key in folded else value
    return folded


def _clf_time(time_ms: int) -> str:
    moment = datetime.fromtimestamp(time_ms / 1000, tz=timezone.utc)
    return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def read_response(payload: Any) -> Response:
    """Decode what the function returned the way API Gateway / a Function URL does.

    A payload that is not a `{"statusCode": ...}` dict is inferred as a 200 JSON body.
    """
    if isinstance(payload, (bytes, str)):
        try:
            payload = json.loads(payload)
        except ValueError:
            data = payload if isinstance(payload, bytes) else payload.encode("utf-8")
            return Response(200, [("content-type", "application/json")], data)
    if not isinstance(payload, dict) or "statusCode" not in payload:
        body = json.dumps(payload).encode("utf-8")
        return Response(200, [("content-type", "application/json")], body)
    headers: Headers = [
        (name.lower(), str(value)) for name, value in (payload.get("headers") or {}).items()
    ]
    headers.extend(("set-cookie", str(c)) for c in payload.get("cookies") or ())
    data = answer_body(payload)
    return Response(int(payload["statusCode"]), headers, data)
