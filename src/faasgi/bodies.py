"""Which bodies travel as text and which as base64 in a platform's JSON response.

The rule cannot crash: a body goes as text only when its type is a text type, no
Content-Encoding is set, and it really decodes as UTF-8; everything else is base64
(apig-wsgi crashes on binary REST responses, mangum ignores Content-Encoding).
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Iterable

from faasgi.http import Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from faasgi.large import LargeResponses

#: Media types sent as text unless `binary_types` says otherwise. One `*` wildcard each.
DEFAULT_TEXT_TYPES: tuple[str, ...] = (
    "text/*",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/x-www-form-urlencoded",
    "*+json",
    "*+xml",
)

_IDENTITY = ("", "identity")
_CACHE_LIMIT = 256


class MediaTypes:
    """A set of media-type patterns such as `text/*`, `*+json` or `image/png`."""

    __slots__ = ("_exact", "_match_all", "_prefixes", "_suffixes")

    def __init__(self, patterns: Iterable[str]) -> None:
        self._exact: set[str] = set()
        prefixes: list[str] = []
        suffixes: list[str] = []
        self._match_all = False
        for raw in patterns:
            pattern = raw.strip().lower()
            if pattern in ("*", "*/*"):
                self._match_all = True
            elif pattern.count("*") > 1:
                raise ValueError(f"media type pattern {raw!r} may hold one '*' at most")
            elif pattern.endswith("*"):
                prefixes.append(pattern[:-1])
            elif pattern.startswith("*"):
                suffixes.append(pattern[1:])
            elif "*" in pattern:
                raise ValueError(f"media type pattern {raw!r}: '*' must start or end it")
            else:
                self._exact.add(pattern)
        self._prefixes = tuple(prefixes)
        self._suffixes = tuple(suffixes)

    def __contains__(self, media_type: str) -> bool:
        return (
            self._match_all
            or media_type in self._exact
            or media_type.startswith(self._prefixes)
            or media_type.endswith(self._suffixes)
        )


class BodyCodec:
    """Turns a response body into the (body, isBase64Encoded) pair platforms want; holds
    the handler's `large_responses` store for bodies no platform answer can carry."""

    __slots__ = ("_binary", "_cache", "_text", "large")

    def __init__(
        self,
        text_types: Iterable[str] = (),
        binary_types: Iterable[str] = (),
        large_responses: str | None = None,
    ) -> None:
        self._text = MediaTypes((*DEFAULT_TEXT_TYPES, *text_types))
        self._binary = MediaTypes(binary_types)
        #: Where answers over a buffered source's limit go (`faasgi.large`); None: nowhere.
        self.large: LargeResponses | None = None
        if large_responses is not None:
            from faasgi.large import LargeResponses

            self.large = LargeResponses(large_responses)
        # Content-Type values repeat from one response to the next; decide each once.
        self._cache: dict[str, bool] = {}

    def is_text_type(self, content_type: str) -> bool:
        textual = self._cache.get(content_type)
        if textual is None:
            media_type = content_type.split(";", 1)[0].strip().lower()
            textual = media_type not in self._binary and media_type in self._text
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[content_type] = textual
        return textual

    def body(
        self, body: bytes, content_type: str | None, content_encoding: str | None
    ) -> tuple[str, bool]:
        """(text or base64, is it base64) for a body with these headers."""
        if not body:
            return "", False
        if content_type is not None:
            textual = self._cache.get(content_type)
            if textual is None:
                textual = self.is_text_type(content_type)
        else:
            textual = True
        if textual and (content_encoding is None or content_encoding.strip().lower() in _IDENTITY):
            try:
                return body.decode("utf-8"), False
            except UnicodeDecodeError:
                pass
        return b64encode(body).decode("ascii"), True

    def encode(self, response: Response) -> tuple[str, bool]:
        content_type: str | None = None
        content_encoding: str | None = None
        for name, value in response.headers:
            if name == "content-type":
                content_type = value
            elif name == "content-encoding":
                content_encoding = value
        return self.body(response.body, content_type, content_encoding)
