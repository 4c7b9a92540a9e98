"""Fixtures for the state tests: a controllable clock and the same Store semantics on each
backend (memory, DynamoDB through moto's in-process mock, DynamoDB over HTTP through moto's
server), so one suite holds every backend to the protocol."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from faasgi.state import DynamoDBStore, MemoryStore, Store, ensure_table
from faasgi.state.dynamodb import dynamodb_client

BACKENDS = [
    "memory",
    "dynamodb-mock",
    pytest.param("dynamodb-server", marks=pytest.mark.slow),
]


class Clock:
    """A wall clock the test moves: expiry is checked on read, so tests need no sleeping."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def table_name() -> str:
    return "faasgi-test-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="module")
def mock_client() -> Iterator[Any]:
    """A client of moto's in-process DynamoDB, for one test module (the mock starts empty)."""
    from moto import mock_aws

    with mock_aws():
        yield dynamodb_client(region="us-east-1")


@pytest.fixture(scope="session")
def server_client(moto_dynamodb: str) -> Any:
    """A client of moto's DynamoDB server, over HTTP."""
    return dynamodb_client(endpoint_url=moto_dynamodb, region="us-east-1")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(
    request: pytest.FixtureRequest, backend: str, clock: Clock, table_name: str
) -> Iterator[Callable[[], Store]]:
    """Builds stores on one shared backend, as copies of a function would: all read and
    write the same table (a fresh one per test). Building a boto3 client costs ~50 ms, so
    DynamoDB stores share one per backend; tests of separate clients build their own."""
    if backend == "memory":
        memory = MemoryStore(clock=clock)
        yield lambda: memory
        return
    client = request.getfixturevalue(
        "mock_client" if backend == "dynamodb-mock" else "server_client"
    )
    first = DynamoDBStore(table_name, client=client, clock=clock)
    ensure_table(first)
    yield lambda: DynamoDBStore(table_name, client=client, clock=clock)
    client.delete_table(TableName=table_name)


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store()
