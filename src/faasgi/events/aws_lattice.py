"""Amazon VPC Lattice target-group events, structure v1 (snake_case keys) and v2
(`version: "2.0"`, header and query values possibly lists): event -> Request,
Response -> platform dict. Knows nothing about WSGI or ASGI.

No other Python adapter reads these (mangum #319): v2 events are easily mistaken for
API Gateway payload 2.0, which is why detection requires the absence of
`requestContext.http`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from faasgi.bodies import BodyCodec
from faasgi.errors import MalformedEvent
from faasgi.events import Event, Stamp
from faasgi.events.fields import (
    answer_body,
    decode_body,
    event_body,
    first_header,
    folded_headers,
    origin,
    raw_query_values,
    single_value_headers,
    split_root,
)
from faasgi.http import Headers, Request, Response, decoded, reason_phrase
from faasgi.logs import warn_once

NAME = "lattice"

#: Kept as they are when re-quoting a query value: an existing escape stays one escape.
_QUERY_SAFE = "%!$'()*+,;/:=?@-._~"


def parse(event: Event, base_path: str) -> Request:
    method = event.get("method")
    v1 = "raw_path" in event
    raw_path = event.get("raw_path" if v1 else "path") or "/"
    if not isinstance(method, str) or not isinstance(raw_path, str):
        raise MalformedEvent("'method' and the path must be strings")
    if v1:
        parameters = event.get("query_string_parameters")
        body = decode_body(event.get("body"), event.get("is_base64_encoded"))
    else:
        parameters = event.get("queryStringParameters") or event.get("query_string_parameters")
        body = decode_body(event.get("body"), event.get("isBase64Encoded"))
    raw_path, _, inline_query = raw_path.partition("?")
    query = _query(parameters) if parameters else inline_query
    headers = single_value_headers(event.get("headers"))
    root, rest = split_root(raw_path, base_path)
    scheme, server = origin(headers, "https", None)
    forwarded = first_header(headers, "x-forwarded-for")
    client = forwarded.rsplit(",", 1)[-1].strip() if forwarded else ""
    return Request(
        method,
        decoded(rest),
        query,
        headers,
        body,
        decoded(root) if root else b"",
        raw_path,
        scheme,
        server,
        (client, 0) if client else None,
    )


def _query(parameters: Any) -> str:
    """Query string from Lattice's parameter map.

    Whether Lattice decodes the values is not documented; re-quoting with `%` kept safe
    leaves raw values untouched and still escapes spaces, `&` and `#` in decoded ones.
    """
    parts: list[str] = []
    for key, values in parameters.items():
        name = quote(key, safe=_QUERY_SAFE)
        parts.extend(
            name + "=" + quote(str(value), safe=_QUERY_SAFE)
            for value in (values if isinstance(values, list) else (values,))
        )
    return "&".join(parts)


def render(response: Response, event: Event, codec: BodyCodec) -> dict[str, Any]:
    body, is_base64 = codec.encode(response)
    headers, cookies = folded_headers(response.headers, several_cookies="case-variants")
    if cookies > 1:
        warn_once(
            "lattice-cookies",
            "VPC Lattice takes one value per response header: %d Set-Cookie headers were sent "
            "under case-varied names",
            cookies,
        )
    return {
        "statusCode": response.status,
        "statusDescription": f"{response.status} {reason_phrase(response.status)}".rstrip(),
        "headers": headers,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def build_event(request: Request, stamp: Stamp) -> dict[str, Any]:
    """A VPC Lattice structure-v2 event for this request (values as lists)."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers.setdefault(name, []).append(value)
    client = request.client[0] if request.client else stamp.source_ip
    headers.setdefault("x-forwarded-for", [client])
    query = raw_query_values(request.query_string)
    body = request.body
    text_body, is_base64 = event_body(body)
    arn = "arn:aws:vpc-lattice:us-east-1:123456789012"
    return {
        "version": "2.0",
        "path": request.raw_path if request.raw_path is not None else "/",
        "method": request.method,
        "headers": headers,
        "queryStringParameters": query,
        "body": text_body,
        "isBase64Encoded": is_base64,
        "requestContext": {
            "serviceNetworkArn": arn + ":servicenetwork/sn-local",
            "serviceArn": arn + ":service/svc-local",
            "targetGroupArn": arn + ":targetgroup/tg-local",
            "identity": {"sourceVpcArn": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-local"},
            "region": "us-east-1",
            "timeEpoch": str(stamp.time_ms * 1000),
        },
    }


def read_response(payload: Any) -> Response:
    if not isinstance(payload, dict) or "statusCode" not in payload:
        raise MalformedEvent("a VPC Lattice target answer needs a dict with 'statusCode'")
    headers: Headers = [
        (name.lower(), str(value)) for name, value in (payload.get("headers") or {}).items()
    ]
    data = answer_body(payload)
    return Response(int(payload["statusCode"]), headers, data)
