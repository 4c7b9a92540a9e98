"""awslambdaric, AWS's own runtime client, runs unchanged against faasgi's local Runtime API
server, and faasgi.runtime gives the same answers, error bodies and init errors for the
same handlers: awslambdaric is the oracle for both the server and faasgi's runtime."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.runtime.conftest import function_url_event

pytestmark = pytest.mark.slow
pytest.importorskip("awslambdaric")  # in the dev extra only

CLIENTS = ("awslambdaric", "faasgi")


def both(launch: Any, handler: str, events: list[Any], **options: Any) -> list[list[Any]]:
    """The outcomes of `events` under each runtime, in CLIENTS order."""
    results = []
    for client in CLIENTS:
        server, _ = launch(client, handler)
        results.append([server.invoke(event, wait=60, **options) for event in events])
    return results


def test_a_plain_function_answers_alike_with_its_context(launch: Any) -> None:
    events = [{"a": 1}, {"bytes": True}]
    options = {
        "trace_id": "Root=1-5759e988-bd862e3fe1be46a994272793",
        "client_context": {"custom": {"tenant": "t1"}},
        "identity": {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
    }
    ric, ours = both(launch, "plain.handler", events, **options)
    for theirs, mine in zip(ric, ours, strict=True):
        assert mine.kind == theirs.kind == "response"
        assert mine.content_type == theirs.content_type
        if theirs.content_type == "application/json":
            expected, actual = theirs.json(), mine.json()
            expected.pop("aws_request_id"), actual.pop("aws_request_id")
            assert actual == expected
            assert expected["trace_id"] == options["trace_id"]
            assert expected["client_context_custom"] == {"tenant": "t1"}
        else:
            assert mine.body == theirs.body == b"raw \x00 bytes"


def test_an_error_in_the_handler_posts_the_same_error_body(launch: Any) -> None:
    ric, ours = both(launch, "plain.handler", [{"fail": "now"}, {"a": 2}])
    theirs, mine = ric[0], ours[0]
    assert mine.kind == theirs.kind == "error"
    expected, actual = theirs.json(), mine.json()
    assert actual["requestId"] == mine.request_id and expected["requestId"] == theirs.request_id
    for key in ("errorMessage", "errorType", "stackTrace"):
        assert actual[key] == expected[key]
    # The loop survives the error and serves the next event.
    assert ric[1].kind == ours[1].kind == "response"


def test_an_answer_json_cannot_hold_is_a_marshal_error_for_both(launch: Any) -> None:
    ric, ours = both(launch, "plain.unserialisable", [{}])
    theirs, mine = ric[0].json(), ours[0].json()
    assert mine["errorType"] == theirs["errorType"] == "Runtime.MarshalError"
    assert mine["errorMessage"].startswith("Unable to marshal response: ")
    assert theirs["errorMessage"].startswith("Unable to marshal response: ")


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("missing_module.handler", "Runtime.ImportModuleError"),
        ("plain.nothing_here", "Runtime.HandlerNotFound"),
        ("broken.handler", "RuntimeError"),
    ],
)
def test_init_errors_are_reported_alike_then_the_process_exits(
    launch: Any, handler: str, error_type: str
) -> None:
    reports = []
    for client in CLIENTS:
        server, runtime = launch(client, handler)
        assert server.init_failed.wait(60), runtime.output()
        assert runtime.process.wait(30) == 1
        reports.append(server.init_errors[0])
    theirs, mine = reports
    assert mine.error_type == theirs.error_type == error_type
    expected, actual = json.loads(theirs.body), json.loads(mine.body)
    assert actual["errorType"] == expected["errorType"] == error_type
    assert actual["errorMessage"] == expected["errorMessage"]


def test_a_faasgi_handler_answers_alike_under_both_runtimes(launch: Any) -> None:
    events = [
        function_url_event("/hello", "name=ric"),
        function_url_event("/missing"),
        {"Records": [{"messageId": "m1", "eventSource": "aws:sqs", "body": "bad"}]},
        {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
    ]
    ric, ours = both(launch, "faasgi_json.handler", events)
    for theirs, mine in zip(ric, ours, strict=True):
        assert mine.kind == theirs.kind
        if theirs.kind == "response":
            assert mine.json() == theirs.json()
        else:
            expected, actual = theirs.json(), mine.json()
            assert (actual["errorType"], actual["errorMessage"]) == (
                expected["errorType"],
                expected["errorMessage"],
            )
    hello = ours[0].json()
    assert hello["statusCode"] == 200 and json.loads(hello["body"]) == {"hello": "ric"}
    assert sorted(hello["cookies"]) == ["a=1; Path=/; SameSite=lax", "b=2; Path=/; SameSite=lax"]
    assert ours[2].json() == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert ours[3].kind == "error"
