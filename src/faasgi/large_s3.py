"""The S3 store for `large_responses` (the `aws` extra: boto3): puts the body as an object
with the answer's content headers, and presigns a GET for it.

The presigned URL is valid for `expires` seconds, or less: a URL signed with a Lambda
role's temporary credentials stops working when those credentials expire
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html). Give
the function `s3:PutObject` and `s3:GetObject` on the prefix, and a lifecycle rule that
deletes the objects after a day.
"""

from __future__ import annotations

from typing import Any

#: Answer header -> put_object parameter.
_PARAMETERS = {
    "content-type": "ContentType",
    "content-encoding": "ContentEncoding",
    "content-disposition": "ContentDisposition",
    "content-language": "ContentLanguage",
}


class S3Store:
    def __init__(self, bucket: str, expires: int, client: Any = None) -> None:
        if client is None:
            import boto3  # the aws extra; made once per instance

            client = boto3.client("s3")
        self.client = client
        self.bucket = bucket
        self.expires = expires

    def put(self, key: str, body: bytes, headers: dict[str, str]) -> str:
        extra = {_PARAMETERS[name]: value for name, value in headers.items()}
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=self.expires,
        )
        return url


__all__ = ["S3Store"]
