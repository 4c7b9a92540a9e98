"""API Gateway WebSocket events: the samples read field by field as AWS documents them
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html),
detected apart from every HTTP sample, and the emulator's events of the same shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faasgi.errors import MalformedEvent
from faasgi.events import Detector, aws_websocket
from tests.conftest import EVENTS, WEBSOCKET, http_event_files, load_event

SAMPLES = sorted(p for p in EVENTS.rglob("*.json") if p.name in WEBSOCKET)


def test_every_websocket_sample_is_present() -> None:
    assert {p.name for p in SAMPLES} == WEBSOCKET


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_parses_to_its_documented_fields(path: Path) -> None:
    event = json.loads(path.read_text())
    context = event["requestContext"]
    parsed = aws_websocket.parse(event)
    assert parsed.event_type == context["eventType"]
    assert parsed.route_key == context["routeKey"]
    assert parsed.connection_id == context["connectionId"]
    assert parsed.domain_name == context["domainName"]
    assert parsed.stage == context["stage"]
    assert parsed.connected_at == context["connectedAt"]
    assert parsed.source_ip == context["identity"]["sourceIp"]
    if context["eventType"] == "MESSAGE":
        assert parsed.body == event["body"]
        assert parsed.headers == []
    elif context["eventType"] == "DISCONNECT":
        assert parsed.disconnect_status_code == context["disconnectStatusCode"]
        assert parsed.disconnect_reason == context["disconnectReason"]
        assert parsed.headers == []  # the stub headers of a disconnect are not the client's
    else:
        expected = {(k.lower(), v) for k, vs in event["multiValueHeaders"].items() for v in vs}
        assert set(parsed.headers) == expected


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_detector_finds_the_websocket_source(path: Path) -> None:
    assert Detector()(json.loads(path.read_text())) is aws_websocket


@pytest.mark.parametrize("path", http_event_files(), ids=lambda p: p.name)
def test_no_http_sample_looks_like_a_websocket_event(path: Path) -> None:
    assert not aws_websocket.matches(load_event(path))


def test_base64_message_is_bytes_and_bad_base64_is_malformed() -> None:
    event = json.loads(
        (EVENTS / "aws-lambda-go" / "apigw-websocket-request-send-message.json").read_text()
    )
    event["body"], event["isBase64Encoded"] = "aGk=", True
    assert aws_websocket.parse(event).body == b"hi"
    event["body"] = "not base64!"
    with pytest.raises(MalformedEvent, match="base64"):
        aws_websocket.parse(event)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"eventType": "OPEN"}, "eventType"),
        ({"connectionId": ""}, "connectionId"),
        ({"connectedAt": "yesterday"}, "connectedAt"),
    ],
)
def test_malformed_context_names_the_field(change: dict[str, Any], message: str) -> None:
    event = json.loads(
        (EVENTS / "aws-powertools-lambda-python" / "apiGatewayWebSocketApiConnect.json").read_text()
    )
    event["requestContext"].update(change)
    with pytest.raises(MalformedEvent, match=message):
        aws_websocket.parse(event)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_built_events_have_the_samples_keys(path: Path) -> None:
    sample = json.loads(path.read_text())
    context = sample["requestContext"]
    connection = aws_websocket.Connection("abc=", "127.0.0.1:3000", "local", 1)
    built = aws_websocket.build_event(
        connection,
        context["eventType"],
        request_id="r",
        time_ms=1731324924561,
        headers=[("Host", "x")],
        body="{}",
    )
    assert set(built) == set(sample)
    # aws-lambda-go's sample names the client's userAgent; ours only when there is one.
    assert set(built["requestContext"]) == set(context)
    assert aws_websocket.parse(built).event_type == context["eventType"]
    assert built["requestContext"]["requestTime"] == "11/Nov/2024:11:35:24 +0000"
