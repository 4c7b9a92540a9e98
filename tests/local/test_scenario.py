"""Scenario files and answer comparison: what `faasgi check` treats as the same answer."""

from __future__ import annotations

import pytest

from faasgi.cli import UsageError
from faasgi.http import Response
from faasgi.local.scenario import (
    IGNORED,
    Step,
    blank,
    comparable,
    mask_text,
    parse_scenario,
    unified_diff,
)


def json_response(text: str, status: int = 200, **headers: str) -> Response:
    return Response(status, list(headers.items()), text.encode())


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("id 6dcb7ad3-c289-4d7c-8992-c2173167e6d6.", "id <uuid>."),
        ("at 2024-05-01T12:30:00.123456+00:00 ok", "at <timestamp> ok"),
        ("at 2024-05-01 12:30:00Z", "at <timestamp>"),
        ("Expires: Wed, 21 Oct 2015 07:28:00 GMT", "Expires: <timestamp>"),
        ("session buxNrFXS3oIzzmWPCXbfXQP-c1_C0_grwSMk", "session <token>"),
        ("sha 9f86d081884c7d659a2feaa0c55ad015", "sha <token>"),
    ],
)
def test_values_that_differ_by_design_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    ["faasgi-sessions-table", "count 1700000000123", "2024-05-01", "/todos/42", "hello world"],
)
def test_words_numbers_dates_and_paths_are_compared_as_they_are(text: str) -> None:
    assert mask_text(text) == text


def test_blank_replaces_what_a_dotted_path_with_wildcards_names() -> None:
    value = {"todos": [{"id": 1, "at": 5}, {"id": 2, "at": 6}], "at": 7}

    assert blank(value, "todos.*.at") == {
        "todos": [{"id": 1, "at": IGNORED}, {"id": 2, "at": IGNORED}],
        "at": 7,
    }
    assert blank(value, "todos.1") == {"todos": [value["todos"][0], IGNORED], "at": 7}
    assert blank(value, "missing.path") == value


def test_json_answers_compare_by_value_not_by_layout() -> None:
    one = json_response('{"b": 1, "a": [1, 2]}')
    two = json_response('{"a":[1,2],"b":1}')

    assert comparable(one) == comparable(two)
    assert comparable(one).splitlines()[0] == "HTTP 200"


def test_status_location_and_ignored_paths_decide_sameness() -> None:
    created = json_response('{"id": 3, "n": 1}', 201, location="/todos/3")
    moved = json_response('{"id": 4, "n": 1}', 201, location="/todos/4")

    assert comparable(created) != comparable(moved)
    assert comparable(created, ("id",)) != comparable(moved, ("id",))  # Location differs
    assert comparable(json_response('{"id": 3}'), ("id",)) == comparable(
        json_response('{"id": 4}'), ("id",)
    )
    assert comparable(json_response("x", 200)) != comparable(json_response("x", 500))


def test_text_and_binary_answers_are_comparable_too() -> None:
    text = comparable(Response(200, [], b"<p>token 0123456789abcdefABCDEF</p>"))
    binary = comparable(Response(200, [], b"\x89PNG\xff\x00"))

    assert text == "HTTP 200\n<p>token <token></p>"
    assert binary.startswith("HTTP 200\n<6 bytes of binary, sha256 ")


def test_a_diff_shows_expected_against_got() -> None:
    diff = unified_diff('HTTP 200\n{"n": 2}', 'HTTP 200\n{"n": 1}', "warm", "fresh")

    assert diff.splitlines()[:2] == ["--- warm", "+++ fresh"]
    assert '-{"n": 2}' in diff and '+{"n": 1}' in diff


def test_a_scenario_parses_into_numbered_steps() -> None:
    steps = parse_scenario(
        [
            {"method": "post", "path": "/todos", "json": {"title": "milk"}},
            {"method": "GET", "path": "/todos", "headers": {"x-a": "1"}, "ignore": ["at"]},
        ]
    )

    assert steps == [
        Step(1, "POST", "/todos", json={"title": "milk"}),
        Step(2, "GET", "/todos", headers=(("x-a", "1"),), ignore=("at",)),
    ]
    assert steps[0].describe() == 'POST /todos {"title": "milk"}'


def test_a_step_without_a_method_is_named_in_the_error() -> None:
    with pytest.raises(UsageError, match=r"s\.json, step 2: 'method' must be an HTTP method"):
        parse_scenario([{"method": "GET", "path": "/"}, {"path": "/"}], "s.json")
