"""Field conversions every HTTP event source needs: bodies, header maps, host, scheme, paths.

Pure functions over event values; they know nothing of any one platform's layout.
"""

from __future__ import annotations

import binascii
import re
from base64 import b64decode, b64encode
from collections.abc import Iterable, Mapping
from typing import Any

from faasgi.errors import MalformedEvent
from faasgi.http import Headers, host_header, origin_of


def event_body(body: bytes) -> tuple[str, bool]:
    """A request body as a platform puts it in an event: text, or base64 when not UTF-8."""
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return b64encode(body).decode("ascii"), True


def answer_body(payload: Mapping[str, Any]) -> bytes:
    """The body of a function's answer as the platform decodes it (`isBase64Encoded`)."""
    text = payload.get("body") or ""
    return b64decode(text) if payload.get("isBase64Encoded") else text.encode("utf-8")


def raw_query_values(query: str) -> dict[str, list[str]]:
    """`a=1&a=2&b` as `{"a": ["1", "2"], "b": [""]}`, values left percent-encoded (ALB, Lattice)."""
    values: dict[str, list[str]] = {}
    for part in query.split("&"):
        if part:
            field, _, text = part.partition("=")
            values.setdefault(field, []).append(text)
    return values


def decode_body(body: Any, is_base64: Any) -> bytes:
    """The request body as bytes; a body flagged base64 that is not base64 is a MalformedEvent."""
    if not body:
        return b""
    if not isinstance(body, str):
        raise MalformedEvent(f"'body' must be a string, got {type(body).__name__}")
    if is_base64:
        try:
            return b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedEvent(
                "'isBase64Encoded' is true but the body is not valid base64"
            ) from None
    return body.encode("utf-8")


#: "Content-Type" -> "content-type": header names repeat from one event to the next.
_NAMES: dict[str, str] = {}
_NAMES_LIMIT = 1024


def _header_name(name: str) -> str:
    key = name.lower()
    if len(_NAMES) < _NAMES_LIMIT:
        _NAMES[name] = key
    return key


def single_value_headers(headers: Mapping[str, Any] | None) -> Headers:
    """`{"Name": "v"}` (or `{"name": ["v1", "v2"]}`) as lower-case pairs, cookies merged."""
    if not headers:
        return []
    pairs: Headers = []
    append = pairs.append
    names = _NAMES
    cookies: list[str] | None = None
    for name, value in headers.items():
        key = names.get(name) or _header_name(name)
        if value.__class__ is str:
            if key == "cookie":
                cookies = [*(cookies or ()), value]
            else:
                append((key, value))
        elif value is None:
            continue
        else:
            values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            if key == "cookie":
                cookies = [*(cookies or ()), *values]
            else:
                pairs.extend((key, v) for v in values)
    if cookies:
        # RFC 6265 5.4: a client sends one Cookie header; frameworks read only the first.
        append(("cookie", "; ".join(cookies)))
    return pairs


def multi_value_headers(headers: Mapping[str, Iterable[Any] | None] | None) -> Headers:
    """`{"Name": ["v1", "v2"]}` as lower-case pairs, one pair per value, cookies merged."""
    if not headers:
        return []
    pairs: Headers = []
    append = pairs.append
    names = _NAMES
    cookies: list[str] | None = None
    for name, values in headers.items():
        if values is None:
            continue
        key = names.get(name) or _header_name(name)
        if values.__class__ is str:
            values = (values,)
        if key == "cookie":
            cookies = [*(cookies or ()), *(str(v) for v in values)]
        else:
            for value in values:
                append((key, value if value.__class__ is str else str(value)))
    if cookies:
        append(("cookie", "; ".join(cookies)))
    return pairs


def first_header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def origin(
    headers: Headers, default_scheme: str, fallback_host: str | None
) -> tuple[str, tuple[str, int]]:
    """(scheme, (host, port)) the client addressed, from Host and X-Forwarded-* headers.

    The scheme is the first X-Forwarded-Proto entry (a proxy chain lists several); the host
    is the Host header, else the platform's domain name; the port comes from Host, else the
    first X-Forwarded-Port entry (mangum PR #304: int() of the whole list fails), else the
    scheme's default. Results are memoised: the same few origins repeat.

    A request without a Host header (FC 3.0 never sends one) gets one for the platform's
    domain name, added to `headers` here, where the scan for it is already done: every
    HTTP/1.1 request has one (RFC 9112 3.2) and apps read it (Django's ALLOWED_HOSTS and
    CSRF origin checks, virtual hosts).
    """
    host = proto = port = None
    for key, value in headers:
        if key == "host":
            if host is None:
                host = value
        elif key == "x-forwarded-proto":
            if proto is None:
                proto = value
        elif key == "x-forwarded-port" and port is None:
            port = value
    found = origin_of(host, proto, port, default_scheme, fallback_host)
    if host is None and fallback_host:
        scheme, (name, number) = found
        headers.append(("host", host_header(scheme, name, number)))
    return found


def split_root(raw_path: str, root: str) -> tuple[str, str]:
    """Split `root` off the front of `raw_path` when it is a whole leading segment."""
    if root and (raw_path == root or raw_path.startswith(root + "/")):
        return root, raw_path[len(root) :]
    return "", raw_path


#: A `%` not followed by two hex digits: no escape.
_LONE_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def http_api_path(raw: str) -> str | None:
    """The `rawPath` an API Gateway HTTP API hands the function for a client's raw path;
    None where the HTTP API answers 400 itself.

    Captured from a live HTTP API (July 2026, docs/platforms.md): the path is decoded
    (`space%20value` -> `space value`), then cut at a decoded `?` (`%3F`), then decoded a
    second time (`%252F` -> `/`, `%253F` -> `?`); a `%` the first pass leaves that starts no
    escape (`%25` alone) is refused with a 400. What follows a cut `?` is dropped, and bytes
    that are not UTF-8 become U+FFFD: the capture does not show either, so these are guesses.
    """
    if "%" not in raw:
        return raw
    from urllib.parse import unquote_to_bytes

    once = unquote_to_bytes(raw).split(b"?", 1)[0]
    if b"%" in once and _LONE_PERCENT.search(once) is not None:
        return None
    return unquote_to_bytes(once).decode("utf-8", "replace")


def normalise_base_path(base_path: str) -> str:
    """`"v1/"` -> `"/v1"`; `""` and `"/"` -> `""`."""
    stripped = base_path.strip().strip("/")
    return "/" + stripped if stripped else ""


def case_variants(name: str, count: int) -> list[str]:
    """`count` spellings of one header name that differ only in letter case.

    Platforms whose response carries one value per header name pass differently-cased
    names through as separate headers, the only way to send several Set-Cookie there.
    """
    letters = [i for i, char in enumerate(name) if char.isalpha()]
    if count > 2 ** len(letters):
        raise ValueError(f"{name!r} has only {2 ** len(letters)} case variants")
    variants = []
    for number in range(count):
        chars = list(name.lower())
        for bit, position in enumerate(letters):
            if number >> bit & 1:
                chars[position] = chars[position].upper()
        variants.append("".join(chars))
    return variants


def folded_headers(headers: Headers, *, several_cookies: str) -> tuple[dict[str, str], int]:
    """Response headers for a platform that takes one value per name.

    Repeated headers are comma-joined (RFC 9110 5.3). Set-Cookie cannot be (RFC 6265 3:
    its Expires attribute holds a comma), so several cookies are either sent under
    case-varied names (`several_cookies="case-variants"`) or only the last one is kept
    (`"last"`). Returns the headers and how many Set-Cookie the app sent.
    """
    folded: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        if name == "set-cookie":
            cookies.append(value)
        elif name in folded:
            folded[name] += ", " + value
        else:
            folded[name] = value
    if len(cookies) == 1 or (cookies and several_cookies == "last"):
        folded["set-cookie"] = cookies[-1]
    elif cookies:
        folded.update(zip(case_variants("set-cookie", len(cookies)), cookies, strict=True))
    return folded, len(cookies)
