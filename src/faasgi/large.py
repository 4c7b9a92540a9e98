"""Answers over the platform's size limit on buffered sources, stored and redirected to.

A buffered answer must fit in the platform's response payload: 6 MB on Lambda (HTTP API,
REST API, Function URL in BUFFERED mode, VPC Lattice), 1 MB behind an ALB. Over it the
platform answers an error (Lambda: `Function.ResponseSizeTooLarge`, the front a 502). With
`serverless(app, large_responses="s3://bucket/prefix/")` (or `oss://` on FC) such a body is
stored as an object instead, and the client gets `303 See Other` to a presigned URL that
serves it for a short while (300 s; `?expires=SECONDS` in the URL changes it). Standard
library only: the store (`faasgi.large_s3` with boto3, `faasgi.large_oss` with Alibaba's
OSS SDK) is loaded at the first answer that needs it.

Limits: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (6 MB
invocation payload, response), https://docs.aws.amazon.com/elasticloadbalancing/latest/
application/lambda-functions.html (1 MB response JSON). FC 3.0: 32 MB, the payload limit of
a synchronous invocation (https://www.alibabacloud.com/help/doc-detail/2527064.html; the
page does not say the answer has the same limit: faasgi assumes it does). MB is read as
10^6 bytes, the smaller reading, so a stored answer is never one that would have fit the
larger. The size is the answer's JSON, base64 included, as the runtime posts it.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

from faasgi.http import Response

if TYPE_CHECKING:
    from faasgi.bodies import BodyCodec
    from faasgi.events import Event, Source

logger = logging.getLogger("faasgi")

MB = 1_000_000

#: The largest answer JSON each buffered source takes, by event source name.
LIMITS: dict[str, int] = {
    "aws-http": 6 * MB,
    "aws-rest": 6 * MB,
    "lattice": 6 * MB,
    "alb": 1 * MB,
    "fc-http": 32 * MB,
}
#: Bodies up to this size always fit (base64 makes 4 bytes of 3, headers stay small), so
#: their answers are never measured: most answers cost one comparison.
_ALWAYS_FITS = min(LIMITS.values()) * 2 // 3

#: Headers of the app's answer the stored object keeps (served by the presigned URL).
OBJECT_HEADERS = ("content-type", "content-encoding", "content-disposition", "content-language")

DEFAULT_EXPIRES = 300


class Store(Protocol):
    """Where large bodies go: stores one and returns a URL that serves it."""

    def put(self, key: str, body: bytes, headers: dict[str, str]) -> str: ...


class LargeResponses:
    """The `large_responses` setting of one handler."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("s3", "oss") or not parts.netloc:
            raise ValueError(
                f"large_responses must be 's3://bucket/prefix' or 'oss://bucket/prefix', "
                f"not {url!r}"
            )
        self.scheme = parts.scheme
        self.bucket = parts.netloc
        self.prefix = parts.path.lstrip("/")
        query = parse_qs(parts.query)
        expires = query.get("expires", [str(DEFAULT_EXPIRES)])[0]
        if not expires.isdigit() or not 1 <= int(expires) <= 604_800:
            raise ValueError(
                f"large_responses: expires must be 1..604800 seconds (7 days, the longest "
                f"a V4 signature lasts), not {expires!r}"
            )
        self.expires = int(expires)
        #: OSS only: its region and endpoint (by default FC_REGION's public endpoint).
        self.region = query.get("region", [None])[0]
        self.endpoint = query.get("endpoint", [None])[0]
        if self.scheme == "oss":
            _require("alibabacloud_oss_v2", "oss")
        else:
            _require("boto3", "aws")
        self._store: Store | None = None

    def fit(
        self, answer: Any, response: Response, source: Source, event: Event, codec: BodyCodec
    ) -> Any:
        """`answer` if it fits the source's limit; else the rendered 303 to the stored body."""
        if len(response.body) <= _ALWAYS_FITS:
            return answer
        limit = LIMITS.get(source.NAME)
        if limit is None or len(json.dumps(answer)) <= limit:
            return answer
        return source.render(self.redirect(response), event, codec)

    def redirect(self, response: Response) -> Response:
        """Store the body; the 303 (with the app's cookies) that points at it."""
        headers = {name: value for name, value in response.headers if name in OBJECT_HEADERS}
        key = f"{self.prefix}{uuid.uuid4().hex}"
        try:
            url = self.store().put(key, response.body, headers)
        except Exception:
            logger.exception(
                "the answer (%d bytes) is over the platform's limit and storing it in "
                "%s://%s/%s failed",
                len(response.body),
                self.scheme,
                self.bucket,
                key,
            )
            text = b"Internal Server Error: the answer was too large and could not be stored"
            return Response(500, [("content-type", "text/plain; charset=utf-8")], text)
        where = f"{self.scheme}://{self.bucket}/{key}"
        logger.info("answer of %d bytes stored as %s", len(response.body), where)
        cookies = [(name, value) for name, value in response.headers if name == "set-cookie"]
        redirect_headers = [
            ("location", url),
            ("cache-control", "no-store"),
            ("content-type", "text/plain; charset=utf-8"),
            *cookies,
        ]
        return Response(303, redirect_headers, b"See Other: the answer is at the Location URL")

    def store(self) -> Store:
        if self._store is None:  # once per instance, at the first large answer
            if self.scheme == "oss":
                from faasgi.large_oss import OSSStore

                self._store = OSSStore(self.bucket, self.expires, self.region, self.endpoint)
            else:
                from faasgi.large_s3 import S3Store

                self._store = S3Store(self.bucket, self.expires)
        return self._store


def _require(module: str, extra: str) -> None:
    """Fail when the handler is built, not at the first large answer."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ValueError(
            f"large_responses needs {module}, which is not installed: pip install 'faasgi[{extra}]'"
        )


__all__ = ["LIMITS", "LargeResponses", "Store"]
