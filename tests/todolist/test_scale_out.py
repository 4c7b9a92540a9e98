"""Scale-out: scenario.json (register, log in, add 3, complete 1, delete 1, list) with its
requests spread over several copies of the function that share nothing but DynamoDB, as
`faasgi check` spreads them. The stateless versions pass; the stateful original works on
one copy and fails as soon as a second one serves a request."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from types import ModuleType

import pytest

from examples.todolist import stateful_app
from faasgi import Handler
from faasgi.testing import CookieJar, FaasClient, FaasResponse

from .conftest import FRAMEWORKS, Deployment
from .scenario import SCENARIO, assert_scenario_passed, personal, request_options


def run(copy_for: Callable[[int], Handler], source: str) -> list[FaasResponse]:
    """The scenario, step n sent to the copy `copy_for(n)` through `source`, with one
    browser's cookies."""
    cookies = CookieJar()
    answers = []
    for n, step in enumerate(personal()):
        client = FaasClient(copy_for(n), source)
        client.cookies = cookies
        answers.append(client.request(step["method"], step["path"], **request_options(step)))
    return answers


def test_the_scenario_is_the_one_issue_6_describes() -> None:
    steps = [(step["method"], step["path"].partition("?")[0]) for step in SCENARIO]
    assert steps == [
        ("POST", "/api/register"),
        ("POST", "/api/login/account"),
        ("POST", "/api/rule"),
        ("POST", "/api/rule"),
        ("POST", "/api/rule"),
        ("PUT", "/api/rule"),
        ("DELETE", "/api/rule"),
        ("GET", "/api/rule"),
    ]
    assert SCENARIO[5]["json"]["status"] == "2"  # as the original front end sends it


@pytest.mark.slow
@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_stateless_version_passes_on_a_fresh_copy_per_request(
    make_deployment: Callable[..., Deployment], framework: str
) -> None:
    deployment = make_deployment(framework, "dynamodb", own_clients=True)
    answers = run(lambda n: deployment.copy(), "aws-http")
    assert_scenario_passed(answers)
    assert all(answer.headers["x-todo-cold"] == "true" for answer in answers)


@pytest.mark.slow
@pytest.mark.parametrize(("framework", "source"), [("flask", "fc-http"), ("fastapi", "aws-rest")])
def test_stateless_version_passes_alternating_two_copies(
    make_deployment: Callable[..., Deployment], framework: str, source: str
) -> None:
    deployment = make_deployment(framework, "dynamodb", own_clients=True)
    copies = [deployment.copy(), deployment.copy()]
    answers = run(lambda n: copies[n % 2], source)
    assert_scenario_passed(answers)
    # Each copy started cold on its first request, and stayed warm after.
    colds = [answer.headers["x-todo-cold"] for answer in answers]
    assert colds == ["true", "true"] + ["false"] * (len(SCENARIO) - 2)


def load_stateful_copy(name: str) -> ModuleType:
    """A new copy of stateful_app with its own module globals, as a new process has."""
    spec = importlib.util.spec_from_file_location(name, stateful_app.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stateful_version_works_while_one_copy_serves_everything() -> None:
    only = load_stateful_copy("stateful_only_copy")
    assert_scenario_passed(run(lambda n: only.handler, "aws-http"))


def test_stateful_version_fails_once_a_second_copy_serves() -> None:
    copies = [load_stateful_copy("stateful_copy_a"), load_stateful_copy("stateful_copy_b")]
    answers = run(lambda n: copies[n % 2].handler, "aws-http")
    # Registered on copy A, logging in on copy B: B has never heard of the user.
    login = answers[1]
    assert login.status_code == 401
    assert login.json()["status"] == "error"
    with pytest.raises(AssertionError):
        assert_scenario_passed(answers)


def test_stateful_version_forgets_the_login_on_another_copy() -> None:
    """Even with the user known everywhere, each copy signs cookies with its own key."""
    copies = [load_stateful_copy("stateful_keys_a"), load_stateful_copy("stateful_keys_b")]
    for module in copies:
        module.users["zoe"] = {"userid": "1", "password": module.hash_password("password1")}
    cookies = CookieJar()
    first, second = (FaasClient(module.handler) for module in copies)
    first.cookies = second.cookies = cookies
    assert (
        first.post(
            "/api/login/account", json={"userName": "zoe", "password": "password1"}
        ).status_code
        == 200
    )
    assert first.get("/api/currentUser").status_code == 200
    assert second.get("/api/currentUser").status_code == 401


def test_stateful_version_stamps_every_todo_with_its_import_time() -> None:
    """The init-time clock bug, kept on purpose: createdAt is the module's load time."""
    module = load_stateful_copy("stateful_clock")
    client = FaasClient(module.handler)
    client.post("/api/register", json={"userName": "yan", "password": "password1"})
    client.post("/api/login/account", json={"userName": "yan", "password": "password1"})
    first = client.post("/api/rule", json={"name": "one"}).json()
    time.sleep(0.01)
    second = client.post("/api/rule", json={"name": "two"}).json()
    assert first["createdAt"] == second["createdAt"] == module.DEFAULT_RULE["createdAt"]
