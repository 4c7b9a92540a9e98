"""Two copies of the todo function (each its own app, stores and DynamoDB client, sharing
only the tables on moto's server) editing the same todo at the same moment: both changes
are kept, or one of them is a clean 409. Never a silent loss."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from faasgi.testing import FaasClient, FaasResponse

from .conftest import FRAMEWORKS, Deployment, add, log_in

pytestmark = pytest.mark.slow

ROUNDS = 6


def at_once(*requests: Callable[[], FaasResponse]) -> list[FaasResponse]:
    """Send the requests from their own threads, released together."""
    start = threading.Barrier(len(requests))
    answers: list[Any] = [None] * len(requests)
    errors: list[BaseException] = []

    def send(index: int) -> None:
        try:
            start.wait()
            answers[index] = requests[index]()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return answers


def two_copies(deployment: Deployment) -> tuple[FaasClient, FaasClient]:
    """One user's browser session, its requests served by two copies of the function."""
    first = deployment.client("aws-http")
    second = deployment.client("aws-http")
    second.cookies = first.cookies  # the same browser
    return first, second


@pytest.fixture(params=list(FRAMEWORKS))
def deployment(
    request: pytest.FixtureRequest, make_deployment: Callable[..., Deployment]
) -> Deployment:
    return make_deployment(request.param, "dynamodb", own_clients=True)


def test_edits_of_different_fields_at_once_are_both_kept(deployment: Deployment) -> None:
    first, second = two_copies(deployment)
    log_in(first, "alice")
    todo = add(first, "draft", "")
    for n in range(ROUNDS):
        done, renamed = at_once(
            lambda n=n: first.put("/api/rule", json={"key": todo["key"], "status": n % 4}),
            lambda n=n: second.put("/api/rule", json={"key": todo["key"], "desc": f"round {n}"}),
        )
        assert (done.status_code, renamed.status_code) == (200, 200), (done.text, renamed.text)
        stored = first.get("/api/rule").json()["data"][0]
        assert (stored["status"], stored["desc"]) == (n % 4, f"round {n}")
        assert stored["version"] == 1 + 2 * (n + 1)  # two writes per round, none lost


def test_edits_of_one_version_at_once_give_one_winner_and_one_409(deployment: Deployment) -> None:
    first, second = two_copies(deployment)
    log_in(first, "bob")
    todo = add(first, "draft", "")
    version = todo["version"]
    for n in range(ROUNDS):
        edits = [{"key": todo["key"], "name": f"{who}{n}", "version": version} for who in "AB"]
        answers = at_once(
            lambda edit=edits[0]: first.put("/api/rule", json=edit),
            lambda edit=edits[1]: second.put("/api/rule", json=edit),
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 409], [answer.text for answer in answers]
        winner = next(answer.json() for answer in answers if answer.status_code == 200)
        loser = next(answer.json() for answer in answers if answer.status_code == 409)
        assert loser["success"] is False
        assert loser["data"]["name"] == winner["name"]  # the 409 shows what won
        stored = first.get("/api/rule").json()["data"][0]
        assert stored["name"] == winner["name"]
        version = stored["version"]
        assert version == winner["version"]


def test_creates_and_deletes_at_once_keep_the_total_exact(deployment: Deployment) -> None:
    first, second = two_copies(deployment)
    log_in(first, "carol")
    doomed = [add(first, f"doomed {n}") for n in range(ROUNDS)]
    for n in range(ROUNDS):
        made, removed = at_once(
            lambda n=n: first.post("/api/rule", json={"name": f"new {n}"}),
            lambda n=n: second.delete("/api/rule", json={"key": [doomed[n]["key"]]}),
        )
        assert (made.status_code, removed.status_code) == (200, 200), (made.text, removed.text)
    listed = first.get("/api/rule", params={"pageSize": 100}).json()
    names = sorted(todo["name"] for todo in listed["data"])
    assert names == sorted(f"new {n}" for n in range(ROUNDS))
    assert listed["total"] == ROUNDS
