"""`faasgi serve --template` over real HTTP: routes and their events, JWT and Lambda
authorizers, the Lambda Invoke API through boto3's own client, and --record / replay.

Oracles: the shapes of API Gateway's events (the sample events in tests/fixtures/events),
API Gateway's documented refusals, and botocore's parsers for the Invoke API (the event
stream included).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("samtranslator")
pytest.importorskip("jwt")

from faasgi.testing.emulator import Emulator

from .conftest import AUDIENCE, PROJECT, Keys

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parents[2] / "fixtures" / "events" / "aws-powertools-lambda-python"


class Served:
    def __init__(self, emulator: Emulator, record: Path) -> None:
        self.emulator = emulator
        self.url = emulator.url
        self.invoke_url = emulator.wait_for(r"invoke     (http://\S+)").group(1)
        self.record = record
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def lambda_client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "lambda",
            endpoint_url=self.invoke_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )


@pytest.fixture(scope="module")
def served(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    record = tmp_path_factory.mktemp("record")
    emulator = Emulator(
        f"--template={PROJECT / 'template.yaml'}",
        "--invoke-port",
        "0",
        "--no-dynamodb",
        "--jwks",
        str(keys.jwks_path),
        "--record",
        str(record),
        "--parameter-overrides",
        "Greeting=hi",
        cwd=str(PROJECT.parents[3]),
    )
    emulator.start()
    try:
        yield Served(emulator, record)
    finally:
        emulator.stop()


def test_the_banner_lists_routes_and_what_is_not_emulated(served: Served) -> None:
    output = served.emulator.output
    assert "route    GET /open/{id} (HTTP API ServerlessHttpApi, payload 2.0)" in output
    assert "route    ANY /rest/{proxy+} (REST API Rest, stage dev, authorizer Rest.Token)" in output
    assert "schedule Nightly: rate(1 day)" in output
    assert "not emulated: Echo event Queue: SQS events" in output
    assert "not emulated: Echo environment QUEUE_URL" in output


def test_an_http_api_route_sends_its_route_key_and_path_parameters(served: Served) -> None:
    answer = served.http.get("/open/42")
    assert answer.status_code == 200
    body = answer.json()
    expected = json.loads((FIXTURES / "apiGatewayProxyV2Event.json").read_text())
    assert body["version"] == expected["version"] == "2.0"
    assert body["routeKey"] == "GET /open/{id}"
    assert body["pathParameters"] == {"id": "42"}
    assert body["stage"] == "$default"
    assert body["authorizer"] is None
    environment = body["environment"]
    assert (environment["GREETING"], environment["SHARED"]) == ("hi", "from-the-function")
    assert body["memory"] == "256"
    assert body["cwd"] == str(PROJECT)  # the function runs from its CodeUri


def test_a_function_url_has_its_own_port_and_takes_every_path(served: Served) -> None:
    url = served.emulator.wait_for(r"port       (http://\S+): the Function URL of Echo").group(1)
    answer = httpx.post(url + "/any/path?x=1", timeout=30)
    assert answer.status_code == 200
    assert (answer.json()["routeKey"], answer.json()["version"]) == ("$default", "2.0")


def test_requests_matching_no_route_get_the_platforms_answer(served: Served) -> None:
    # An HTTP API is on this port: 404 {"message":"Not Found"}; the function is not called.
    answer = served.http.post("/open/42")
    assert (answer.status_code, answer.json()) == (404, {"message": "Not Found"})
    assert "x-faasgi-instance" not in answer.headers


def hs256_with_public_key(keys: Keys) -> str:
    import base64
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    public = keys.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    good = keys.token().split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT","kid":"test-key"}')
    signing_input = header.rstrip(b"=") + b"." + good[1].encode()
    signature = hmac.new(public, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def test_jwt_authorizer_refuses_and_passes_as_api_gateway_does(served: Served, keys: Keys) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    def call(token: str | None) -> httpx.Response:
        headers = {} if token is None else {"authorization": f"Bearer {token}"}
        return served.http.get("/jwt", headers=headers)

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refusals = {
        "no token": (call(None), 401),
        "expired": (call(keys.token(exp=1_600_000_000, iat=1_599_999_000)), 401),
        "wrong audience": (call(keys.token(aud="someone-else")), 401),
        "wrong issuer": (call(keys.token(iss="https://evil.example.com/")), 401),
        "bad signature": (call(keys.token(key=other_key)), 401),
        "missing scope": (call(keys.token(scope="todo.write")), 403),
        # client_id counts only without aud.
        "aud wins": (call(keys.token(aud="someone-else", client_id=AUDIENCE)), 401),
        # HS256 signed with the public key as the secret: the classic algorithm confusion.
        "HS256": (call(hs256_with_public_key(keys)), 401),
    }
    for reason, (answer, status) in refusals.items():
        message = "Unauthorized" if status == 401 else "Forbidden"
        assert (answer.status_code, answer.json()) == (status, {"message": message}), reason
    good = call(keys.token())
    assert good.status_code == 200
    authorizer = good.json()["authorizer"]
    # The shape of requestContext.authorizer in API Gateway's own v2 event.
    sample = json.loads((FIXTURES / "apiGatewayProxyV2Event.json").read_text())
    assert set(authorizer) == set(sample["requestContext"]["authorizer"]) == {"jwt"}
    assert set(authorizer["jwt"]) == {"claims", "scopes"}
    assert authorizer["jwt"]["claims"]["aud"] == AUDIENCE
    assert authorizer["jwt"]["claims"]["sub"] == "user-1"
    assert authorizer["jwt"]["scopes"] == ["todo.read", "todo.write"]
    # A client_id claim stands in for aud (Cognito access tokens).
    assert call(keys.token(aud=None, client_id=AUDIENCE)).status_code == 200


def test_rest_token_authorizer_denies_caches_and_passes_its_context(served: Served) -> None:
    missing = served.http.get("/rest/items")
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    unauthorized = served.http.get("/rest/items", headers={"authorization": "unauthorized"})
    assert (unauthorized.status_code, unauthorized.json()) == (401, {"message": "Unauthorized"})
    denied = served.http.get("/rest/items", headers={"authorization": "deny"})
    assert denied.status_code == 403
    assert denied.json() == {"message": "User is not authorized to access this resource"}
    first = served.http.get("/rest/items/7", headers={"authorization": "allow-ann"})
    second = served.http.get("/rest/items/7", headers={"authorization": "allow-ann"})
    assert first.status_code == second.status_code == 200
    body = first.json()
    assert body["resource"] == "/rest/{proxy+}"
    assert body["pathParameters"] == {"proxy": "items/7"}
    assert body["stage"] == "dev"
    # REST passes the context's keys flat, beside principalId (apiGatewayProxyEventPrincipalId).
    assert body["authorizer"]["principalId"] == "allow-ann"
    assert body["authorizer"]["user"] == "ann"
    # Cached for ReauthorizeEvery (300 s): the authorizer ran once for both requests.
    assert second.json()["authorizer"]["calls"] == body["authorizer"]["calls"]


def test_boto3_invokes_functions_by_name_and_arn(served: Served) -> None:
    client = served.lambda_client()
    answer = client.invoke(FunctionName="Echo", Payload=json.dumps({"n": 1}))
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"echo": {"n": 1}, "greeting": "hi"}
    arn = "arn:aws:lambda:us-east-1:123456789012:function:Echo"
    by_arn = client.invoke(FunctionName=arn, Payload=b'{"n": 2}')
    assert json.loads(by_arn["Payload"].read())["echo"] == {"n": 2}
    failed = client.invoke(FunctionName="Echo", Payload=b'{"boom": true}')
    assert failed["StatusCode"] == 200 and failed["FunctionError"] == "Unhandled"
    error = json.loads(failed["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "boom requested")
    assert client.invoke(FunctionName="Echo", InvocationType="Event")["StatusCode"] == 202
    assert client.invoke(FunctionName="Echo", InvocationType="DryRun")["StatusCode"] == 204
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="Nobody")


def test_boto3_reads_invoke_with_response_stream(served: Served) -> None:
    client = served.lambda_client()
    answer = client.invoke_with_response_stream(FunctionName="Echo", Payload=b'{"n": 3}')
    events = list(answer["EventStream"])
    payload = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    assert json.loads(payload)["echo"] == {"n": 3}
    assert "InvokeComplete" in events[-1]
    failed = client.invoke_with_response_stream(FunctionName="Echo", Payload=b'{"boom": 1}')
    complete = list(failed["EventStream"])[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "ValueError"


def test_record_writes_every_invocation_with_secrets_redacted(served: Served) -> None:
    served.http.get(
        "/open/1", headers={"cookie": "session=abc", "x-api-key": "k", "authorization": "t"}
    )
    records = [json.loads(p.read_text()) for p in sorted(served.record.glob("*.json"))]
    opened = [r for r in records if r["event"].get("rawPath") == "/open/1"]
    assert len(opened) == 1
    record = opened[0]
    assert (record["function"], record["handler"]) == ("Echo", "echo:handler")
    assert record["event"]["cookies"] == ["<redacted>"]
    assert record["event"]["headers"]["x-api-key"] == "<redacted>"
    assert record["event"]["headers"]["authorization"] == "<redacted>"
    assert record["answer"]["headers"]["set-cookie"] == "<redacted>"
    assert "abc" not in json.dumps(record) and "s3cret" not in json.dumps(record)
    # Invocations through the Invoke API are recorded too.
    assert any(r["event"] == {"n": 1} for r in records)
