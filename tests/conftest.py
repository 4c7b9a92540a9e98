"""Shared test fixtures: the real platform events under tests/fixtures/events (copied
byte-for-byte from ../shared, sources and licences in its SOURCES.md) and the echo apps."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).parent / "fixtures" / "events"

# Fake AWS credentials for the whole run, set before any test starts: no test may reach
# real AWS, and moto's `mock_aws` restores os.environ to what it was when it started, so
# credentials a session fixture set after one started vanished when it stopped (the todo
# list's DynamoDB tests then failed with NoCredentialsError, depending on test order).
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
)

#: The powertools files whose body is flagged base64 but is not (SOURCES.md caveats).
INVALID_BASE64 = frozenset(
    {
        "apiGatewayProxyEventAnotherPath.json",
        "apiGatewayProxyEventPathTrailingSlash.json",
        "apiGatewayProxyEvent_noVersionAuth.json",
    }
)
#: Non-HTTP samples, kept as negatives for HTTP detection.
NON_HTTP = frozenset(
    {
        "eventBridgeEvent.json",
        "sqsEvent.json",
        "snsEvent.json",
        "s3Event.json",
        "dynamoStreamEvent.json",
        "apiGatewayAuthorizerTokenEvent.json",
        "ScheduledEvent.json",
        "Sqs.json",
        "ApiGatewayAuthorizer.json",
        "ApiGatewayRestRequestAuthorizer.json",
        "apiGatewayAuthorizerRequestEvent.json",
        "apiGatewayAuthorizerV2Event.json",
    }
)

#: API Gateway WebSocket API samples: not HTTP requests, served by faasgi.asgi_websocket.
WEBSOCKET = frozenset(
    {
        "apiGatewayWebSocketApiConnect.json",
        "apiGatewayWebSocketApiMessage.json",
        "apiGatewayWebSocketApiDisconnect.json",
        "apigw-websocket-request-send-message.json",
        "apigw-websocket-request-disconnect.json",
    }
)

_PLACEHOLDER = re.compile(r"\{\{\{([a-z_]+)\}\}\}")


def _sam_defaults() -> dict[str, dict[str, Any]]:
    """Placeholder defaults per SAM template file, from aws-sam-cli's event-mapping.json."""
    mapping = json.loads((EVENTS / "aws-sam-cli" / "event-mapping.json").read_text())
    defaults: dict[str, dict[str, Any]] = {}
    for service in mapping.values():
        for entry in service.values():
            defaults[entry["filename"] + ".json"] = entry.get("tags", {})
    return defaults


def render_sam_template(path: Path) -> dict[str, Any]:
    """Fill a SAM CLI event template the way `sam local generate-event` does."""
    tags = _sam_defaults().get(path.name, {})

    def value(match: re.Match[str]) -> str:
        tag = tags.get(match.group(1).replace("_", "-"), {})
        text = str(tag.get("default", ""))
        if tag.get("encoding") == "base64":
            text = base64.b64encode(text.encode()).decode()
        return json.dumps(text)[1:-1]

    return json.loads(_PLACEHOLDER.sub(value, path.read_text()))


def load_event(path: Path) -> dict[str, Any]:
    if "aws-sam-cli" in path.parts and path.name != "event.json":
        return render_sam_template(path)
    return json.loads(path.read_text())


def all_event_files() -> list[Path]:
    return sorted(p for p in EVENTS.rglob("*.json") if p.name != "event-mapping.json")


def http_event_files() -> list[Path]:
    """Every fixture that is an HTTP request for a source faasgi serves."""
    return [
        p
        for p in all_event_files()
        if p.name not in NON_HTTP and p.name not in WEBSOCKET and "cloudfront" not in p.parts
    ]


@pytest.fixture(scope="session")
def events_dir() -> Path:
    return EVENTS
