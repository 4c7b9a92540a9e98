"""API Gateway HTTP API (payload 2.0) and Lambda Function URLs: event -> Request,
Response -> platform dict. Knows nothing about WSGI or ASGI.

The two share the payload but not the path (captured July 2026, docs/platforms.md): an HTTP
API hands over `rawPath` already decoded (twice), so it is used as it is and never decoded
again; a Function URL hands it over percent-encoded, so it is decoded once and kept as the
raw path. A Function URL is told by its domain (`<id>.lambda-url.<region>.on.aws`).
`rawQueryString` is used as it came; request cookies arrive in a `cookies` array and
response cookies leave in one; other repeated response headers are comma-joined.
"""

from __future__ import annotations

from typing import Any

from faasgi.bodies import BodyCodec
from faasgi.errors import MalformedEvent
from faasgi.events import Event, Refused, Stamp
from faasgi.events.fields import (
    answer_body,
    decode_body,
    event_body,
    first_header,
    http_api_path,
    origin,
    single_value_headers,
    split_root,
)
from faasgi.http import Headers, Request, Response, decoded, http_version

NAME = "aws-http"


def parse(event: Event, base_path: str) -> Request:
    context = event["requestContext"]
    http = context["http"]
    if not isinstance(http, dict) or "method" not in http:
        raise MalformedEvent("'requestContext.http' has no 'method'")
    raw_path = event.get("rawPath") or http.get("path") or "/"
    if not isinstance(raw_path, str):
        raise MalformedEvent("'rawPath' must be a string")

    headers = single_value_headers(event.get("headers"))
    domain = context.get("domainName")
    if domain is None:  # a hand-written event: the Host header tells the domain
        domain = first_header(headers, "host") or ""
    # A named stage on the execute-api domain is part of rawPath ("/dev/hello"); on a
    # custom domain or the "$default" stage it is not (serverless-wsgi and Zappa get
    # "/$default" and doubled stages here).
    root, rest = "", raw_path
    stage = context.get("stage")
    if stage and stage != "$default" and ".execute-api." in domain:
        root, rest = split_root(raw_path, "/" + stage)
    if base_path:
        mount, rest = split_root(rest, base_path)
        root += mount

    cookies = event.get("cookies")
    if cookies:
        _merge_cookies(headers, cookies)
    scheme, server = origin(headers, "https", domain or None)
    source_ip = http.get("sourceIp")
    query = event.get("rawQueryString") or ""
    if ".lambda-url." in domain:  # Function URL: encoded as the client sent it
        path, root_path, kept = decoded(rest), decoded(root), raw_path
    else:  # HTTP API: decoded already; what the client sent is lost
        path, root_path, kept = rest.encode("utf-8"), root.encode("utf-8"), None
    return Request(
        http["method"],
        path,
        query if query.__class__ is str else str(query),
        headers,
        decode_body(event.get("body"), event.get("isBase64Encoded")),
        root_path,
        kept,
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


def build_event(request: Request, stamp: Stamp, *, function_url: bool = False) -> dict[str, Any]:
    """The event an HTTP API (or with `function_url`, a Function URL) builds for this
    request: `rawPath` decoded the HTTP API's way, or kept encoded by a Function URL.

    Raises `Refused` where the HTTP API answers 400 itself (see `http_api_path`).
    """
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
    host = headers.get("host", request.server[0])
    stage = "$default" if function_url else stamp.stage  # Function URLs have no stages
    stage_prefix = "" if stage == "$default" else "/" + stage
    if function_url:
        path = raw_path
        domain = "local.lambda-url.us-east-1.on.aws"
    else:
        sent_path = http_api_path(raw_path)
        if sent_path is None:
            raise Refused(400, "Bad Request")
        path = stage_prefix + sent_path
        domain = host
    body = request.body
    text_body, is_base64 = event_body(body)
    query = request.query_string
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": path,
                "protocol": "HTTP/" + request.http_version,
                "sourceIp": request.client[0] if request.client else stamp.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": stamp.request_id,
            "routeKey": "$default",
            "stage": stage,
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
    from urllib.parse import parse_qsl  # event building only (emulator, test client)

    folded: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        folded[key] = folded[key] + "," + value if key in folded else value
    return folded


def _clf_time(time_ms: int) -> str:
    from datetime import datetime, timezone  # event building only

    moment = datetime.fromtimestamp(time_ms / 1000, tz=timezone.utc)
    return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def read_response(payload: Any) -> Response:
    """Decode what the function returned the way API Gateway / a Function URL does.

    A payload that is not a `{"statusCode": ...}` dict is inferred as a 200 JSON body.
    """
    import json  # the emulator's side only

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
