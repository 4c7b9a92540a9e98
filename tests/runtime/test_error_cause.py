"""What faasgi.runtime sends besides the answer, checked against awslambdaric 4.2.2 through
the same local Runtime API server: the X-Ray error cause on `/error`, and the
`Lambda-Runtime-Invocation-Id` of `/next` echoed on that invocation's `/response` and
`/error`."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("awslambdaric")  # in the dev extra only

CLIENTS = ("awslambdaric", "faasgi")
CAUSE = "lambda-runtime-function-xray-error-cause"
INVOCATION_ID = "lambda-runtime-invocation-id"


def outcomes(launch: Any, events: list[Any], invocation_ids: list[str | None]) -> list[list[Any]]:
    results = []
    for client in CLIENTS:
        server, _ = launch(client, "plain.handler")
        answers = []
        for event, invocation_id in zip(events, invocation_ids, strict=True):
            headers = {"Lambda-Runtime-Invocation-Id": invocation_id} if invocation_id else None
            answers.append(server.invoke(event, wait=60, headers=headers))
        results.append(answers)
    return results


def test_an_error_carries_the_same_xray_cause_as_awslambdaric_sends(launch: Any) -> None:
    (theirs,), (mine,) = outcomes(launch, [{"fail": "x-ray"}], [None])
    assert mine.kind == theirs.kind == "error"
    expected, actual = json.loads(theirs.headers[CAUSE]), json.loads(mine.headers[CAUSE])
    assert actual == expected
    # What the oracle sent is what the research file documents: the user's frame only.
    assert expected["exceptions"][0]["type"] == "ValueError"
    assert expected["exceptions"][0]["message"] == "asked to fail: x-ray"
    assert [frame["label"] for frame in expected["exceptions"][0]["stack"]] == ["handler"]
    assert expected["paths"][0].endswith("plain.py")


def test_the_invocation_id_is_echoed_where_awslambdaric_echoes_it(launch: Any) -> None:
    events = [{"a": 1}, {"fail": "now"}, {"a": 2}]
    ids = ["invocation-1", "invocation-2", None]
    ric, ours = outcomes(launch, events, ids)
    for theirs, mine, sent in zip(ric, ours, ids, strict=True):
        assert mine.kind == theirs.kind
        assert theirs.headers.get(INVOCATION_ID) == sent
        assert mine.headers.get(INVOCATION_ID) == theirs.headers.get(INVOCATION_ID)
