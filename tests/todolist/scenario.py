"""examples/todolist/scenario.json, the requests `faasgi check` replays, and what its
answers must be: from the steps themselves, whichever copies of the function served them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import examples.todolist

from .conftest import unique

SCENARIO_FILE = Path(examples.todolist.__file__).with_name("scenario.json")
SCENARIO: list[dict[str, Any]] = json.loads(SCENARIO_FILE.read_text())


class Answer(Protocol):
    """A FaasResponse or an httpx.Response."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def personal() -> list[dict[str, Any]]:
    """The scenario for a user of its own: the DynamoDB tables are shared by the test run."""
    user = SCENARIO[0]["json"]["userName"]
    text = json.dumps(SCENARIO).replace(json.dumps(user), json.dumps(unique(user)))
    steps: list[dict[str, Any]] = json.loads(text)
    return steps


def request_options(step: dict[str, Any]) -> dict[str, Any]:
    """A step's headers and body as keyword arguments of FaasClient and httpx alike."""
    options: dict[str, Any] = {"headers": step.get("headers")}
    if "json" in step:
        options["json"] = step["json"]
    elif "body" in step:
        options["content"] = step["body"]
    return options


def assert_scenario_passed(answers: list[Answer]) -> None:
    """Every step answered 200; of the three todos, the second is done and the third
    deleted, so the list holds the other two, newest first."""
    for step, answer in zip(SCENARIO, answers, strict=True):
        assert answer.status_code == 200, (step["method"], step["path"], answer.text)
    added = [
        step["json"]
        for step in SCENARIO
        if step["method"] == "POST" and step["path"] == "/api/rule"
    ]
    finished = next(step["json"]["key"] for step in SCENARIO if step["method"] == "PUT")
    deleted = next(step["json"]["key"] for step in SCENARIO if step["method"] == "DELETE")
    listed = answers[-1].json()
    assert listed["total"] == 2
    kept = [todo for todo in reversed(added) if todo["key"] not in deleted]
    assert [todo["key"] for todo in listed["data"]] == [todo["key"] for todo in kept]
    # int(): the stateful original stores the status as sent ("2"), as the original did.
    assert {todo["key"]: int(todo["status"]) for todo in listed["data"]} == {
        todo["key"]: 2 if todo["key"] == finished else 1 for todo in kept
    }
