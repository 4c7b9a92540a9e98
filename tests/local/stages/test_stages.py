"""REST routes reached with their stage in front, as on the execute-api domain
(https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html:
`https://{restapi_id}.execute-api.{region}.amazonaws.com/{stage_name}/`), and without it as
before; and `X-Amz-Log-Type: Tail` on the Invoke API, whose `LogResult` is "the last 4 KB
of the execution log, which is base64-encoded"
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). The REST event's fields
are those of the REST event captured on AWS (docs/platforms.md: `requestContext.path`
`/live/capture/...`, `path` `/capture/...`): `path` without the stage,
`requestContext.path` the whole URL path."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from faasgi.local.template.model import Function, Route
from faasgi.local.template.routes import RouteTable
from faasgi.testing.emulator import Emulator

PROJECT = Path(__file__).parent / "project"
FUNCTION = Function("f", "app:handler", ".", "aws")


def test_a_stage_prefix_reaches_the_rest_route_of_that_stage_only() -> None:
    table = RouteTable(
        [
            (Route("rest", "ServerlessRestApi", "GET", "/items/{id}", "Prod", "1.0"), FUNCTION),
            (Route("http", "ServerlessHttpApi", "GET", "/{proxy+}", "$default"), FUNCTION),
        ]
    )
    prefixed = table.match("GET", "/Prod/items/7")
    assert prefixed is not None and prefixed.route.kind == "rest"
    assert prefixed.parameters == {"id": "7"}
    plain = table.match("GET", "/items/7")
    assert plain is not None and plain.route.kind == "rest"
    # Another stage's name is only a path: here the HTTP API's catch-all takes it.
    other = table.match("GET", "/Beta/items/7")
    assert other is not None and other.route.kind == "http"
    assert other.parameters == {"proxy": "Beta/items/7"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    pytest.importorskip("samtranslator")
    running = Emulator(
        f"--template={PROJECT / 'template.yaml'}", "--invoke-port", "0", "--no-dynamodb"
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def invoke_url(emulator: Emulator) -> str:
    return emulator.wait_for(r"^  invoke     (http://\S+) ").group(1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("url_path", "context_path"),
    [("/Prod/items/7", "/Prod/items/7"), ("/items/7", "/items/7")],
)
def test_rest_routes_answer_with_and_without_the_stage_prefix(
    emulator: Emulator, url_path: str, context_path: str
) -> None:
    answer = httpx.get(emulator.url + url_path, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "path": "/items/7",
        "resource": "/items/{id}",
        "pathParameters": {"id": "7"},
        "stage": "Prod",
        "contextPath": context_path,
    }


def lambda_client(url: str) -> Any:
    boto3 = pytest.importorskip("boto3")
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.slow
def test_log_type_tail_returns_the_invocations_own_log_lines(emulator: Emulator) -> None:
    client = lambda_client(invoke_url(emulator))
    client.invoke(FunctionName="Echo", Payload=json.dumps({"print": ["before"]}))
    plain = client.invoke(FunctionName="Echo", Payload=json.dumps({"print": ["no tail"]}))
    assert "LogResult" not in plain
    answer = client.invoke(
        FunctionName="Echo", LogType="Tail", Payload=json.dumps({"print": ["hello", "world"]})
    )
    assert json.loads(answer["Payload"].read()) == {"printed": 2}
    log = base64.b64decode(answer["LogResult"]).decode("utf-8")
    request_id = answer["ResponseMetadata"]["RequestId"]
    lines = log.splitlines()
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert lines[1:3] == ["hello", "world"]  # its own lines, not the earlier invocations'
    assert lines[3] == f"END RequestId: {request_id}"
    assert lines[4].startswith(f"REPORT RequestId: {request_id}\tDuration: ")


@pytest.mark.slow
def test_log_result_is_the_last_4_kb(emulator: Emulator) -> None:
    client = lambda_client(invoke_url(emulator))
    printed = [f"line {n:04d} " + "x" * 90 for n in range(100)]  # about 10 KB
    answer = client.invoke(
        FunctionName="Echo", LogType="Tail", Payload=json.dumps({"print": printed})
    )
    log = base64.b64decode(answer["LogResult"])
    assert len(log) == 4096
    text = log.decode("utf-8")
    assert printed[-1] in text and printed[0] not in text
    assert text.splitlines()[-1].startswith("REPORT RequestId: ")
