"""`large_responses="s3://bucket/prefix/"`: an answer over a buffered source's limit is
stored in S3 and answered `303` to a presigned URL that serves exactly the body. Against a
moto S3 server on loopback, fetched with a real HTTP client; events are the public sample
events (Powertools' fixtures). `oss://` drives Alibaba's OSS SDK against a stand-in
endpoint on loopback (no signature checks: see FakeOSS)."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from faasgi import serverless
from faasgi.large import LIMITS

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

EVENTS = Path(__file__).parent / "fixtures" / "events" / "aws-powertools-lambda-python"
BUCKET = "answers"


def sample(name: str, path: str = "/") -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    event.pop("body", None)
    event["isBase64Encoded"] = False
    if "rawPath" in event:
        event["rawPath"] = path
        event["requestContext"]["http"]["method"] = "GET"
    else:
        event["path"] = path
        event["httpMethod"] = "GET"
    return event


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


def sized_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """`/text/N`: N bytes of text; `/binary/N`: N bytes of PNG-typed binary."""
    _, kind, size = environ["PATH_INFO"].split("/")
    if kind == "text":
        body = (b"0123456789abcdef" * (int(size) // 16 + 1))[: int(size)]
        content_type = "text/plain; charset=utf-8"
    else:
        body = bytes(range(256)) * (int(size) // 256 + 1)
        body = body[: int(size)]
        content_type = "image/png"
    headers = [("Content-Type", content_type), ("Set-Cookie", "seen=1")]
    start_response("200 OK", [*headers, ("Content-Disposition", "inline; name=x")])
    return [body]


def body_of(answer: dict[str, Any]) -> bytes:
    raw = answer.get("body") or ""
    return base64.b64decode(raw) if answer.get("isBase64Encoded") else raw.encode()


def header(answer: dict[str, Any], name: str) -> str:
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (answer.get("multiValueHeaders") or {}).items()}
    return str(headers.get(name) or multi[name][0])


@pytest.mark.parametrize(
    ("event_file", "kind", "size"),
    [
        ("apiGatewayProxyV2Event.json", "text", 6_500_000),
        ("apiGatewayProxyEvent.json", "binary", 4_600_000),  # base64 makes it 6.1 MB
        ("albEvent.json", "text", 1_200_000),
    ],
)
def test_an_answer_over_the_limit_is_a_303_to_a_url_that_serves_the_exact_body(
    s3: Any, event_file: str, kind: str, size: int
) -> None:
    handler = serverless(sized_app, large_responses=f"s3://{BUCKET}/big/?expires=60")
    expected = httpx_body(kind, size)

    answer = handler(sample(event_file, f"/{kind}/{size}"), None)

    assert answer["statusCode"] == 303
    assert header(answer, "cache-control") == "no-store"
    assert len(json.dumps(answer)) < 10_000
    stored = httpx.get(header(answer, "location"), timeout=30)
    assert stored.status_code == 200
    assert stored.content == expected
    assert stored.headers["content-type"] == sized_headers(kind)
    assert stored.headers["content-disposition"] == "inline; name=x"
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert any(key.startswith("big/") for key in keys)


def test_the_app_s_cookies_still_reach_the_client_with_the_redirect(s3: Any) -> None:
    handler = serverless(sized_app, large_responses=f"s3://{BUCKET}/big/")

    answer = handler(sample("apiGatewayProxyV2Event.json", "/text/6500000"), None)

    assert answer["cookies"] == ["seen=1"]


def test_an_answer_within_the_limit_is_left_alone(s3: Any) -> None:
    handler = serverless(sized_app, large_responses=f"s3://{BUCKET}/big/")
    size = LIMITS["aws-http"] - 10_000

    answer = handler(sample("apiGatewayProxyV2Event.json", f"/text/{size}"), None)

    assert answer["statusCode"] == 200
    assert body_of(answer) == httpx_body("text", size)


def test_a_store_that_fails_answers_a_clear_500(s3: Any) -> None:
    handler = serverless(sized_app, large_responses="s3://no-such-bucket/x/")

    answer = handler(sample("apiGatewayProxyV2Event.json", "/text/6500000"), None)

    assert answer["statusCode"] == 500
    assert b"too large and could not be stored" in body_of(answer)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("http://bucket/prefix", "must be 's3://bucket/prefix' or 'oss://bucket/prefix'"),
        ("s3://bucket/p?expires=0", "expires must be 1..604800"),
    ],
)
def test_a_setting_faasgi_cannot_use_is_a_clear_error_at_once(setting: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        serverless(sized_app, large_responses=setting)


def httpx_body(kind: str, size: int) -> bytes:
    """The app's body, as Werkzeug's test client (the oracle) reads it."""
    from werkzeug.test import Client

    return Client(sized_app).get(f"/{kind}/{size}").get_data()


def sized_headers(kind: str) -> str:
    from werkzeug.test import Client

    return str(Client(sized_app).get(f"/{kind}/1").headers["content-type"])


class FakeOSS(BaseHTTPRequestHandler):
    """A stand-in for an OSS endpoint on loopback, path style (`/bucket/key`): keeps what
    is PUT and serves it back on GET. It checks no signature (there is no local OSS
    emulator that does, as moto does for S3): what it shows is that faasgi drives
    Alibaba's SDK to store the exact body with its headers and hands out a presigned GET
    URL for that object."""

    objects: dict[str, tuple[bytes, dict[str, str]]] = {}

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        kept = {k.lower(): v for k, v in self.headers.items() if k.lower().startswith("content-")}
        self.objects[self.path.partition("?")[0]] = (body, kept)
        self.send_response(200)
        self.send_header("etag", '"x"')
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        found = self.objects.get(path)
        if found is None or "x-oss-signature" not in query:
            self.send_response(404 if found is None else 403)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body, headers = found
        self.send_response(200)
        self.send_header("content-type", headers.get("content-type", "application/octet-stream"))
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_an_oss_store_puts_the_body_and_answers_a_presigned_get_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("alibabacloud_oss_v2")
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOSS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
    endpoint = f"http://127.0.0.1:{server.server_port}"
    setting = f"oss://answers/big/?region=cn-hangzhou&endpoint={endpoint}&expires=120"
    try:
        handler = serverless(sized_app, large_responses=setting)
        answer = handler(sample("apiGatewayProxyV2Event.json", "/text/6500000"), None)
        location = header(answer, "location")
        stored = httpx.get(location, timeout=30)
    finally:
        server.shutdown()
        server.server_close()

    assert answer["statusCode"] == 303
    assert location.startswith(f"{endpoint}/answers/big/")
    expires = int(location.split("x-oss-expires=")[1].split("&")[0])
    assert 115 <= expires <= 120  # the SDK counts from when it signs
    assert stored.status_code == 200
    assert stored.content == httpx_body("text", 6_500_000)
    _, headers = FakeOSS.objects[location.partition("?")[0].removeprefix(endpoint)]
    assert headers["content-type"] == sized_headers("text")
    assert headers["content-disposition"] == "inline; name=x"
