"""The OSS store for `large_responses="oss://bucket/prefix/"` (the `oss` extra: Alibaba's
OSS SDK V2, `alibabacloud-oss-v2`): puts the body as an object with the answer's content
headers and presigns a GET for it (V4 signature).

Credentials: the function's temporary keys FC puts in the environment
(`ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`,
`ALIBABA_CLOUD_SECURITY_TOKEN`: https://www.alibabacloud.com/help/en/functioncompute/fc/environment-variables),
else the SDK's own `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN`.
Region: `?region=` in the URL, else `FC_REGION`; `?endpoint=` overrides the public
endpoint the SDK derives from it. A URL presigned with temporary keys stops working when
they expire, whatever its own validity (https://www.alibabacloud.com/help/doc-detail/32033.html;
V4 presigned URLs: https://alibabacloud.com/help/en/oss/developer-reference/add-signatures-to-urls).
"""

from __future__ import annotations

import datetime
import os
from typing import Any

#: Answer header -> PutObjectRequest field.
_FIELDS = {
    "content-type": "content_type",
    "content-encoding": "content_encoding",
    "content-disposition": "content_disposition",
}


def _credential(*names: str) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


class OSSStore:
    def __init__(self, bucket: str, expires: int, region: str | None, endpoint: str | None):
        import alibabacloud_oss_v2 as oss  # the oss extra; made once per instance

        key_id = _credential("ALIBABA_CLOUD_ACCESS_KEY_ID", "OSS_ACCESS_KEY_ID")
        secret = _credential("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "OSS_ACCESS_KEY_SECRET")
        token = _credential("ALIBABA_CLOUD_SECURITY_TOKEN", "OSS_SESSION_TOKEN")
        region = region or os.environ.get("FC_REGION")
        if not key_id or not secret or not region:
            raise ValueError(
                "large_responses: an oss:// store needs ALIBABA_CLOUD_ACCESS_KEY_ID, "
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET and a region (?region= or FC_REGION)"
            )
        config = oss.config.load_default()
        config.credentials_provider = oss.credentials.StaticCredentialsProvider(
            key_id, secret, token
        )
        config.region = region
        if endpoint:
            config.endpoint = endpoint
            config.use_path_style = endpoint.startswith("http://")  # a local test server
        self._oss: Any = oss
        self.client: Any = oss.Client(config)
        self.bucket = bucket
        self.expires = expires

    def put(self, key: str, body: bytes, headers: dict[str, str]) -> str:
        fields = {_FIELDS[name]: value for name, value in headers.items() if name in _FIELDS}
        request = self._oss.PutObjectRequest(bucket=self.bucket, key=key, body=body, **fields)
        self.client.put_object(request)
        presigned = self.client.presign(
            self._oss.GetObjectRequest(bucket=self.bucket, key=key),
            expires=datetime.timedelta(seconds=self.expires),
        )
        return str(presigned.url)


__all__ = ["OSSStore"]
