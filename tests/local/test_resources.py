"""The DynamoDB side of a local run: the environment instances get, the tables created
from a file or a hook, and the clean slate `faasgi check` needs between runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasgi.cli import UsageError
from faasgi.local.resources import LocalResources, load_tables_file
from faasgi.state import DynamoDBStore, Key

OTHER_SCHEMA = {
    "TableName": "events",
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


@pytest.fixture
def resources() -> Iterator[LocalResources]:
    local = LocalResources(tables=["todos", OTHER_SCHEMA], environment={})
    local.start()
    yield local
    local.stop()


@pytest.mark.slow
def test_moto_is_started_with_dummy_credentials_and_the_listed_tables(
    resources: LocalResources,
) -> None:
    environment = resources.environment

    assert environment["AWS_ENDPOINT_URL_DYNAMODB"] == resources.endpoint_url
    assert environment["AWS_ACCESS_KEY_ID"] == "testing"
    assert environment["AWS_REGION"] == "us-east-1"
    assert sorted(resources.client().list_tables()["TableNames"]) == ["events", "todos"]
    ttl = resources.client().describe_time_to_live(TableName="todos")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


@pytest.mark.slow
def test_tables_declared_by_an_instance_are_created_once(resources: LocalResources) -> None:
    asyncio.run(resources.declared(["sessions", "todos"]))
    asyncio.run(resources.declared(["sessions"]))

    assert sorted(resources.client().list_tables()["TableNames"]) == [
        "events",
        "sessions",
        "todos",
    ]


@pytest.mark.slow
def test_reset_leaves_every_known_table_empty(resources: LocalResources) -> None:
    asyncio.run(resources.declared(["sessions"]))
    store = DynamoDBStore("todos", client=resources.client())
    store.put(Key("todos", "1"), {"title": "milk"})

    resources.reset()

    assert sorted(resources.client().list_tables()["TableNames"]) == [
        "events",
        "sessions",
        "todos",
    ]
    assert store.get(Key("todos", "1")) is None


def test_a_given_endpoint_keeps_the_users_credentials() -> None:
    outside = {"AWS_ACCESS_KEY_ID": "mine", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "eu-west-1"}
    local = LocalResources("http://127.0.0.1:8000", environment=outside)
    local.create = lambda tables: []  # type: ignore[method-assign]  # nothing listens there

    local.start()

    assert local.environment == {
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
        "AWS_ACCESS_KEY_ID": "mine",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }


def test_no_dynamodb_means_no_endpoint_and_no_variables() -> None:
    local = LocalResources(dynamodb=False, tables=["todos"], environment={})

    local.start()

    assert (local.endpoint_url, local.environment) == (None, {})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[", "not JSON"),
        ('{"todos": 1}', "expected a JSON list of table names"),
        ('[{"KeySchema": []}]', "CreateTable request with 'TableName'"),
    ],
)
def test_a_malformed_tables_file_is_a_usage_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "tables.json"
    path.write_text(content)

    with pytest.raises(UsageError, match=message):
        load_tables_file(str(path))


def test_a_tables_file_lists_names_and_create_table_requests(tmp_path: Path) -> None:
    path = tmp_path / "tables.json"
    path.write_text(json.dumps(["todos", OTHER_SCHEMA]))

    assert load_tables_file(str(path)) == ["todos", OTHER_SCHEMA]
