"""examples/todolist/backend.py: what an instance builds from its environment at init.
Deployed, it never creates a table and refuses to log anyone in without a session secret
(saying why, with a 503, instead of failing to start); the local run (FAASGI_LOCAL=1,
exercised end to end in test_http.py) creates its tables and may use the dev secret."""

from __future__ import annotations

import pytest

from examples.todolist import backend as backend_module
from examples.todolist.backend import from_environment
from faasgi import serverless
from faasgi.state import DynamoDBStore, Store
from faasgi.testing import FaasClient

from .conftest import FRAMEWORKS, SECRET

SETTINGS = (
    "FAASGI_LOCAL",
    "FAASGI_SESSION_SECRET",
    "TODO_TABLE",
    "SESSION_TABLE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_DYNAMODB",
)


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with none of the todo list's settings, where creating a table fails."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)

    def no_tables(store: object) -> None:
        raise AssertionError(f"a deployed function must not create tables ({store!r})")

    monkeypatch.setattr(backend_module, "ensure_table", no_tables)
    return monkeypatch


def dynamodb(store: Store) -> DynamoDBStore:
    assert isinstance(store, DynamoDBStore)
    return store


def test_the_tables_and_region_come_from_the_environment(deployed: pytest.MonkeyPatch) -> None:
    deployed.setenv("TODO_TABLE", "prod-todos")
    deployed.setenv("SESSION_TABLE", "prod-sessions")
    deployed.setenv("AWS_REGION", "eu-central-1")
    deployed.setenv("FAASGI_SESSION_SECRET", SECRET)
    built = from_environment()
    assert built.sessions is not None
    todos, sessions = dynamodb(built.todos.store), dynamodb(built.sessions.store)
    assert (todos.table, sessions.table) == ("prod-todos", "prod-sessions")
    assert todos.client.meta.region_name == "eu-central-1"
    assert built.problem is None


def test_without_a_region_it_uses_the_fc_descriptors_default(deployed: pytest.MonkeyPatch) -> None:
    deployed.setenv("FAASGI_SESSION_SECRET", SECRET)
    built = from_environment()
    assert dynamodb(built.todos.store).client.meta.region_name == "us-east-1"


def test_deployed_session_cookies_are_secure(deployed: pytest.MonkeyPatch) -> None:
    deployed.setenv("FAASGI_SESSION_SECRET", SECRET)
    sessions = from_environment().sessions
    assert sessions is not None
    assert "Secure" in sessions._set_cookie("an-id")[0][1]


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_without_a_secret_the_page_loads_and_the_api_says_what_is_missing(
    deployed: pytest.MonkeyPatch, framework: str
) -> None:
    built = from_environment()
    assert built.sessions is None
    handler = serverless(lambda: FRAMEWORKS[framework](built))
    client = FaasClient(handler)
    try:
        assert client.get("/").status_code == 200
        for method, path in (("GET", "/api/rule"), ("POST", "/api/login/account")):
            answer = client.request(method, path, json={} if method == "POST" else None)
            assert answer.status_code == 503
            assert answer.json()["success"] is False
            assert "FAASGI_SESSION_SECRET" in answer.json()["message"]
    finally:
        handler.shutdown()
