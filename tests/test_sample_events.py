"""`faasgi event SOURCE`: every event it prints is one faasgi's own routing takes (an HTTP
source's parser, or the trigger route of its kind), and the non-HTTP ones have the keys and
value types of the platform's published sample (tests/fixtures/events for AWS,
tests/fixtures/triggers/alibaba-fc for FC)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faasgi import serverless
from faasgi.cli import main
from faasgi.events import BUILD_NAMES, Detector
from faasgi.sample_events import TRIGGERS
from faasgi.triggers import kind_of, records_of, trigger_epoch_ms
from tests.conftest import EVENTS, load_event

FC_SAMPLES = Path(__file__).parent / "fixtures" / "triggers" / "alibaba-fc"
POWERTOOLS = EVENTS / "aws-powertools-lambda-python"

#: source -> (the published sample, a path to its one record, keys ours adds).
SAMPLES: dict[str, tuple[Path, tuple[Any, ...], set[str]]] = {
    # SAM's template omits "version", which every EventBridge event carries ("0").
    "schedule": (EVENTS / "aws-sam-cli" / "cloudwatch" / "ScheduledEvent.json", (), {"version"}),
    "sqs": (POWERTOOLS / "sqsEvent.json", ("Records", 0), set()),
    "sns": (POWERTOOLS / "snsEvent.json", ("Records", 0), set()),
    "s3": (POWERTOOLS / "s3Event.json", ("Records", 0), set()),
    "dynamodb-stream": (POWERTOOLS / "dynamoStreamEvent.json", ("Records", 0), set()),
    "fc-timer": (FC_SAMPLES / "timer.json", (), set()),
    "oss": (FC_SAMPLES / "oss.json", ("events", 0), set()),
}
#: Maps whose keys are the user's data (attribute names, item attributes), not the shape.
DATA_MAPS = {"messageAttributes", "MessageAttributes", "Keys", "NewImage", "OldImage", "detail"}


def event(capsys: pytest.CaptureFixture[str], *arguments: str) -> dict[str, Any]:
    assert main(["event", *arguments]) == 0
    printed: dict[str, Any] = json.loads(capsys.readouterr().out)
    return printed


def shape(value: Any, name: str = "") -> Any:
    """Keys and value types, recursively; the first item stands for a list."""
    if isinstance(value, dict):
        if name in DATA_MAPS:
            return dict
        return {key: shape(item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0], name)] if value else []
    return type(value)


def part(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@pytest.mark.parametrize("source", list(TRIGGERS))
def test_each_trigger_event_has_the_published_samples_keys_and_types(
    source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sample_file, record, added = SAMPLES[source]
    sample = part(load_event(sample_file), record)
    ours = part(event(capsys, source), record)

    expected = shape(sample)
    got = shape(ours)
    assert isinstance(expected, dict) and isinstance(got, dict)
    assert set(got) - set(expected) == added
    assert {key: got[key] for key in expected} == expected


@pytest.mark.parametrize("source", list(TRIGGERS))
def test_each_trigger_event_reaches_the_route_of_its_kind(
    source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = event(capsys, source)
    handler = serverless(lambda environ, start_response: [])
    seen: list[Any] = []
    handler.on(source)(lambda item, invocation: seen.append((item, invocation.source)))

    handler(json.dumps(printed).encode() if source.startswith(("fc", "oss")) else printed, None)

    assert kind_of(printed) == source
    assert [kind for _, kind in seen] == [source]
    assert trigger_epoch_ms(printed) is not None  # the time is read off the event itself


@pytest.mark.parametrize(
    ("source", "arguments", "expected"),
    [
        ("sqs", ["--json", '{"order": 7}'], '{"order": 7}'),
        ("sns", ["--body", "hello"], "hello"),
        ("fc-timer", ["--body", "tick"], "tick"),
    ],
)
def test_the_body_becomes_the_message(
    source: str, arguments: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = event(capsys, source, *arguments)

    if source == "fc-timer":
        assert printed["payload"] == expected
    else:
        (record,) = records_of(source, printed)
        assert record.body == expected


def test_storage_events_take_the_method_and_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    put = event(capsys, "s3", "PUT", "/photos/cat.png", "--body", "meow")
    gone = event(capsys, "oss", "DELETE", "/photos/cat.png")

    created = put["Records"][0]
    assert created["eventName"] == "ObjectCreated:Put"
    assert created["s3"]["object"]["key"] == "photos/cat.png"
    assert created["s3"]["object"]["size"] == 4
    assert gone["events"][0]["eventName"] == "ObjectRemoved:DeleteObject"


def test_a_stream_record_carries_the_json_as_its_new_image(
    capsys: pytest.CaptureFixture[str],
) -> None:
    printed = event(capsys, "dynamodb-stream", "MODIFY", "--json", '{"id": "a", "n": 2}')

    change = printed["Records"][0]["dynamodb"]
    assert printed["Records"][0]["eventName"] == "MODIFY"
    assert change["NewImage"] == {"id": {"S": "a"}, "n": {"N": "2"}}
    assert change["Keys"] == {"id": {"S": "a"}}


@pytest.mark.parametrize("source", BUILD_NAMES)
def test_each_http_event_is_parsed_back_into_the_same_request(
    source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = event(
        capsys,
        source,
        "POST",
        "/items/7?tag=a",
        "--query",
        "page=2",
        "-H",
        "X-Test: yes",
        "--json",
        '{"name": "pen"}',
    )

    found = Detector()(printed)
    assert found is not None
    request = found.parse(printed, "")
    assert (request.method, request.path) == ("POST", b"/items/7")
    assert sorted(request.query_string.split("&")) == ["page=2", "tag=a"]
    assert ("x-test", "yes") in [(name.lower(), value) for name, value in request.headers]
    assert json.loads(request.body) == {"name": "pen"}


def test_an_http_event_is_what_the_emulator_sends(capsys: pytest.CaptureFixture[str]) -> None:
    printed = event(capsys, "aws-http", "GET", "/hello")

    answer = serverless(_hello)(printed, None)

    assert answer["statusCode"] == 200 and answer["body"] == "GET /hello"


def _hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["sqs", "--header", "A: b"], "for HTTP sources"),
        (["sqs", "PUT", "/x"], "takes no METHOD PATH"),
        (["s3", "PATCH", "/x"], "PUT, POST, COPY or DELETE"),
        (["schedule", "--body", "x"], "--json"),
        (["aws-http", "--json", "{"], "not JSON"),
        (["aws-http", "--body", "a", "--json", "1"], "not both"),
    ],
)
def test_mistakes_are_one_line(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["event", *arguments]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("faasgi event: ") and message in line
