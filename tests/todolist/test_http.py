"""The todo list over real HTTP behind `faasgi serve` (instances as processes, configured as
a local run is: `FAASGI_LOCAL=1`, moto's DynamoDB, no session secret), driven by an HTTP
client with a real cookie jar."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from examples.todolist import fastapi_app, flask_app
from faasgi.state.dynamodb import dynamodb_client

from .conftest import Served
from .scenario import assert_scenario_passed, personal, request_options

pytestmark = pytest.mark.slow

MODULES = ["examples.todolist.flask_app", "examples.todolist.fastapi_app"]


@pytest.mark.parametrize("module", MODULES)
def test_a_local_run_makes_its_tables_and_passes_the_scenario_over_http(
    serve: Callable[[str], Served], moto_dynamodb: str, module: str
) -> None:
    served = serve(module)
    with httpx.Client(base_url=served.url, timeout=10) as browser:
        page = browser.get("/")
        assert page.status_code == 200
        assert "<title>faasgi todo list</title>" in page.text
        answers = [
            browser.request(step["method"], step["path"], **request_options(step))
            for step in personal()
        ]
    assert_scenario_passed(answers)
    # The first request was the instance's cold start: the tables faasgi_tables() names
    # exist now, with faasgi.state's layout.
    client = dynamodb_client(endpoint_url=moto_dynamodb, region="us-east-1")
    for table in served.tables:
        description = client.describe_table(TableName=table)["Table"]
        assert {(k["AttributeName"], k["KeyType"]) for k in description["KeySchema"]} == {
            ("pk", "HASH"),
            ("sk", "RANGE"),
        }
        ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "expires_at"
    # Plain http to 127.0.0.1: a Secure cookie would never have been sent back.
    cookie = answers[1].headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" not in cookie
    # One request at a time: one instance served everything, cold only on its first
    # request, as the emulator's headers and the app's own agree.
    assert {answer.headers["x-faasgi-instance"] for answer in answers} == {
        page.headers["x-faasgi-instance"]
    }
    assert (page.headers["x-faasgi-cold"], page.headers["x-todo-cold"]) == ("1", "true")
    assert {answer.headers["x-faasgi-cold"] for answer in answers} == {"0"}
    assert {answer.headers["x-todo-cold"] for answer in answers} == {"false"}
    assert {answer.headers["x-todo-instance"] for answer in answers} == {
        page.headers["x-todo-instance"]
    }


def test_both_apps_name_the_tables_the_emulator_creates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODO_TABLE", "my-todos")
    monkeypatch.setenv("SESSION_TABLE", "my-sessions")
    assert flask_app.faasgi_tables() == fastapi_app.faasgi_tables() == ["my-todos", "my-sessions"]
    monkeypatch.delenv("TODO_TABLE")
    monkeypatch.delenv("SESSION_TABLE")
    assert flask_app.faasgi_tables() == ["faasgi-todos", "faasgi-sessions"]
