"""Application Load Balancer target-group events, single- and multi-value header modes:
event -> Request, Response -> platform dict. Knows nothing about WSGI or ASGI.

ALB hands the path and the query values over still percent-encoded, as the client sent them
(captured July 2026: `a%2Bb` stays, `a+b` still means a space; mangum #178 double-encoded
them), so the path is decoded once and the query passed on untouched. The answer uses the
header mode the request came in: ALB rejects `multiValueHeaders` when the target group has
the mode off, and ignores `headers` when it is on.
"""

from __future__ import annotations

from typing import Any

from faasgi.bodies import BodyCodec
from faasgi.errors import MalformedEvent
from faasgi.events import Event, Stamp
from faasgi.events.fields import (
    answer_body,
    decode_body,
    event_body,
    first_header,
    folded_headers,
    multi_value_headers,
    origin,
    raw_query_values,
    single_value_headers,
    split_root,
)
from faasgi.http import Headers, Request, Response, decoded, reason_phrase
from faasgi.logs import warn_once

NAME = "alb"


def parse(event: Event, base_path: str) -> Request:
    method = event.get("httpMethod")
    raw_path = event.get("path") or "/"
    if not isinstance(method, str) or not isinstance(raw_path, str):
        raise MalformedEvent("'httpMethod' and 'path' must be strings")
    if "multiValueHeaders" in event:
        headers = multi_value_headers(event["multiValueHeaders"])
    else:
        headers = single_value_headers(event.get("headers"))
    # ALB sends the multi-value pair or the single-value pair; a hand-made event that mixes
    # them (multi-value headers, single-value query) still keeps its query.
    query = _raw_query(
        event.get("multiValueQueryStringParameters") or event.get("queryStringParameters")
    )
    root, rest = split_root(raw_path, base_path)
    scheme, server = origin(headers, "http", None)
    return Request(
        method,
        decoded(rest),
        query,
        headers,
        decode_body(event.get("body"), event.get("isBase64Encoded")),
        decoded(root) if root else b"",
        raw_path,
        scheme,
        server,
        _client(headers),
    )


def _raw_query(parameters: Any) -> str:
    if not parameters:
        return ""
    parts: list[str] = []
    for key, values in parameters.items():
        if isinstance(values, list):
            parts.extend(f"{key}={value}" for value in values)
        else:
            parts.append(f"{key}={values}")
    return "&".join(parts)


def _client(headers: Headers) -> tuple[str, int] | None:
    """ALB appends the address it saw to X-Forwarded-For: the last entry is the client."""
    forwarded = first_header(headers, "x-forwarded-for")
    if not forwarded:
        return None
    address = forwarded.rsplit(",", 1)[-1].strip()
    return (address, 0) if address else None


def render(response: Response, event: Event, codec: BodyCodec) -> dict[str, Any]:
    body, is_base64 = codec.encode(response)
    result: dict[str, Any] = {
        "statusCode": response.status,
        "statusDescription": f"{response.status} {reason_phrase(response.status)}".rstrip(),
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if "multiValueHeaders" in event:
        headers: dict[str, list[str]] = {}
        for name, value in response.headers:
            if name in headers:
                headers[name].append(value)
            else:
                headers[name] = [value]
        result["multiValueHeaders"] = headers
    else:
        folded, cookies = folded_headers(response.headers, several_cookies="case-variants")
        if cookies > 1:
            warn_once(
                "alb-single-cookies",
                "the ALB target group has multi-value headers off: %d Set-Cookie headers were "
                "sent under case-varied names; turn the multi-value headers attribute on so "
                "ALB passes them as they are",
                cookies,
            )
        result["headers"] = folded
    return result


def build_event(request: Request, stamp: Stamp, *, multi_value: bool = False) -> dict[str, Any]:
    """The event ALB builds for this request, in single- or multi-value header mode."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers.setdefault(name, []).append(value)
    client = request.client[0] if request.client else stamp.source_ip
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = [(forwarded[-1] + ", " if forwarded else "") + client]
    headers.setdefault("x-forwarded-proto", [request.scheme])
    headers.setdefault("x-forwarded-port", [str(request.server[1])])
    headers.setdefault("x-amzn-trace-id", ["Root=" + stamp.request_id])
    query = raw_query_values(request.query_string)
    body = request.body
    text_body, is_base64 = event_body(body)
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
                "targetgroup/local/0123456789abcdef"
            }
        },
        "httpMethod": request.method,
        "path": request.raw_path if request.raw_path is not None else "/",
        "body": text_body,
        "isBase64Encoded": is_base64,
    }
    if multi_value:
        event["multiValueHeaders"] = headers
        event["multiValueQueryStringParameters"] = query
    else:
        # Single-value mode keeps the last value of a repeated header or query key.
        event["headers"] = {key: values[-1] for key, values in headers.items()}
        event["queryStringParameters"] = {key: values[-1] for key, values in query.items()}
    return event


def read_response(payload: Any) -> Response:
    if not isinstance(payload, dict) or "statusCode" not in payload:
        raise MalformedEvent("an ALB target answer needs a dict with 'statusCode'")
    headers: Headers = []
    if "multiValueHeaders" in payload:
        for name, values in (payload.get("multiValueHeaders") or {}).items():
            headers.extend((name.lower(), str(v)) for v in values)
    else:
        for name, value in (payload.get("headers") or {}).items():
            headers.append((name.lower(), str(value)))
    data = answer_body(payload)
    return Response(int(payload["statusCode"]), headers, data)
