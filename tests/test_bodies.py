"""Which response bodies go as text and which as base64: bodies.py."""

from __future__ import annotations

import base64

import pytest

from faasgi.bodies import BodyCodec
from faasgi.http import Response


def encode(
    body: bytes,
    content_type: str | None,
    encoding: str | None = None,
    codec: BodyCodec | None = None,
) -> tuple[str, bool]:
    headers = []
    if content_type is not None:
        headers.append(("content-type", content_type))
    if encoding is not None:
        headers.append(("content-encoding", encoding))
    return (codec or BodyCodec()).encode(Response(200, headers, body))


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/html; charset=utf-8",
        "text/csv",
        "application/json",
        "application/problem+json",
        "application/vnd.api+json",
        "application/ld+json",
        "application/xml",
        "application/atom+xml",
        "image/svg+xml",
        "application/javascript",
        "application/x-www-form-urlencoded",
        "Application/JSON; charset=UTF-8",
    ],
)
def test_text_types_travel_as_text(content_type: str) -> None:
    assert encode("héllo".encode(), content_type) == ("héllo", False)


@pytest.mark.parametrize(
    "content_type", ["image/png", "application/octet-stream", "application/pdf", "font/woff2"]
)
def test_other_types_travel_as_base64(content_type: str) -> None:
    body = b"\x89PNG\r\n"
    assert encode(body, content_type) == (base64.b64encode(body).decode(), True)


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "GZIP"])
def test_a_content_encoding_makes_even_json_base64(encoding: str) -> None:
    assert encode(b"{}", "application/json", encoding)[1] is True


def test_identity_encoding_is_no_encoding() -> None:
    assert encode(b"{}", "application/json", "identity") == ("{}", False)


def test_text_type_that_is_not_utf8_goes_base64_instead_of_crashing() -> None:
    body = "café".encode("latin-1")
    assert encode(body, "text/plain; charset=latin-1") == (base64.b64encode(body).decode(), True)


def test_no_content_type_is_text_when_it_decodes() -> None:
    assert encode(b"plain", None) == ("plain", False)
    assert encode(b"\xff\xfe", None)[1] is True


def test_empty_body_is_empty_text() -> None:
    assert encode(b"", "image/png") == ("", False)


def test_configured_types() -> None:
    codec = BodyCodec(text_types=["application/x-ndjson"], binary_types=["text/csv"])
    assert encode(b"{}\n", "application/x-ndjson", codec=codec) == ("{}\n", False)
    assert encode(b"a,b", "text/csv", codec=codec)[1] is True
    assert encode(b"hi", "text/plain", codec=codec) == ("hi", False)


@pytest.mark.parametrize("pattern", ["a*b*", "image*png"])
def test_bad_pattern_is_refused_at_configuration_time(pattern: str) -> None:
    with pytest.raises(ValueError, match="pattern"):
        BodyCodec(binary_types=[pattern])
