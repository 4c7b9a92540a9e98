"""The DynamoDB backend (faasgi/state/dynamodb.py): what the shared Store suite cannot
see — the client it builds, the requests it sends, the table it expects."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

import faasgi.state.dynamodb
from faasgi.state import DynamoDBStore, ItemTooLarge, Key, Put, ensure_table

from .conftest import Clock

KEY = Key("p", "s")


@pytest.fixture(params=["dynamodb-mock"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def count_requests(store: DynamoDBStore) -> list[str]:
    """The operations the store's client sends, in order."""
    sent: list[str] = []

    def record(request: Any, **kwargs: Any) -> None:
        sent.append(request.headers["X-Amz-Target"].decode().rsplit(".", 1)[1])

    store.client.meta.events.register("before-send.dynamodb", record)
    return sent


def test_importing_faasgi_and_its_state_package_imports_no_boto3_and_no_framework() -> None:
    code = (
        "import sys, faasgi, faasgi.state, faasgi.state.sessions;"
        "heavy = [m for m in ('boto3', 'botocore', 'flask', 'starlette', 'asyncio', 'moto')"
        " if m in sys.modules];"
        "print(heavy)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert output.strip() == "[]"


def test_without_boto3_the_store_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)

    with pytest.raises(ImportError, match=r"faasgi\[aws\]"):
        DynamoDBStore("table")


@pytest.mark.slow
def test_the_endpoint_comes_from_aws_endpoint_url_dynamodb(
    moto_dynamodb: str, monkeypatch: pytest.MonkeyPatch, table_name: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_dynamodb)

    store = DynamoDBStore(table_name, region="us-east-1")
    ensure_table(store)
    store.put(KEY, "over http")

    assert store.client.meta.endpoint_url == moto_dynamodb
    assert store.get(KEY).value == "over http"  # type: ignore[union-attr]
    store.client.delete_table(TableName=table_name)


def test_an_endpoint_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1")

    store = DynamoDBStore("t", endpoint_url="http://127.0.0.1:2", region="us-east-1")

    assert store.client.meta.endpoint_url == "http://127.0.0.1:2"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.body


def test_throttling_is_retried_with_backoff(store: DynamoDBStore) -> None:
    store.put(KEY, "kept")
    attempts: list[int] = []

    def throttle_twice(request: Any, **kwargs: Any) -> AWSResponse | None:
        attempts.append(1)
        if len(attempts) > 2:
            return None  # the third attempt reaches DynamoDB
        body = (
            b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",'
            b'"message":"Rate of requests exceeds the allowed throughput."}'
        )
        return AWSResponse(request.url, 400, {"x-amzn-requestid": "throttled"}, _Raw(body))

    store.client.meta.events.register_first("before-send.dynamodb.GetItem", throttle_twice)

    assert store.get(KEY).value == "kept"  # type: ignore[union-attr]
    assert len(attempts) == 3


def test_a_conflict_costs_no_second_read(store: DynamoDBStore, clock: Clock) -> None:
    other_copy = DynamoDBStore(store.table, region="us-east-1", clock=clock)  # its own client
    store.put(KEY, 0)
    sent = count_requests(store)
    calls: list[int] = []

    def increment(n: int) -> int:
        calls.append(n)
        if len(calls) == 1:
            other_copy.put(KEY, 10, version=1)
        return n + 1

    store.update(KEY, increment)

    assert sent == ["GetItem", "UpdateItem", "UpdateItem"]
    assert store.get(KEY).value == 11  # type: ignore[union-attr]


def test_an_item_is_stored_in_the_documented_layout(store: DynamoDBStore, clock: Clock) -> None:
    clock.now = 1_700_000_000
    store.put(KEY, {"name": "milk", "done": False, "price": 1.5}, ttl=60)

    raw = store.client.get_item(TableName=store.table, Key={"pk": {"S": "p"}, "sk": {"S": "s"}})

    assert raw["Item"] == {
        "pk": {"S": "p"},
        "sk": {"S": "s"},
        "version": {"N": "1"},
        "expires_at": {"N": "1700000060"},
        "value": {"M": {"name": {"S": "milk"}, "done": {"BOOL": False}, "price": {"N": "1.5"}}},
    }


def test_ensure_table_creates_the_documented_table_once(store: DynamoDBStore) -> None:
    ensure_table(store)  # the fixture made it already: a second call changes nothing

    table = store.client.describe_table(TableName=store.table)["Table"]
    ttl = store.client.describe_time_to_live(TableName=store.table)["TimeToLiveDescription"]

    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")


def test_an_item_too_large_is_refused_before_sending(store: DynamoDBStore) -> None:
    sent = count_requests(store)

    with pytest.raises(ItemTooLarge, match="would be 410"):
        store.put(KEY, "x" * 410_000)

    assert sent == []


def test_dynamodb_refusing_an_item_for_its_size_is_reported_as_item_too_large(
    store: DynamoDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Skip our own size check, so the refusal comes from the service.
    monkeypatch.setattr(faasgi.state.dynamodb, "ITEM_SIZE_LIMIT", 10**9)

    with pytest.raises(ItemTooLarge, match="would exceed") as raised:
        store.put(KEY, "x" * 410_000)

    assert raised.value.key == KEY


def test_a_transaction_dynamodb_refuses_for_size_names_the_large_write(
    store: DynamoDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faasgi.state.dynamodb, "ITEM_SIZE_LIMIT", 10**9)
    large = Key("p", "large")

    with pytest.raises(ItemTooLarge) as raised:
        store.transact([Put(Key("p", "small"), "x"), Put(large, "x" * 410_000)])

    assert raised.value.key == large


def test_a_write_moto_refuses_for_its_size_leaves_nothing_that_blocks_the_key(
    store: DynamoDBStore,
) -> None:
    """moto counts a 38-digit number as 38 bytes (DynamoDB: 20) and refuses above 405,000
    bytes, after it has stored the key: the store must not take that key for an item."""
    numbers = [12345678901234567890123456789012345678] * 12_000  # ~252 KB by AWS's rule

    with pytest.raises(ItemTooLarge):
        store.put(KEY, numbers)

    assert store.get(KEY) is None
    assert store.query(KEY.partition).items == []
    assert store.touch(KEY, ttl=60) is False
    created = store.put(KEY, "small", version=0)
    assert (created.version, store.get(KEY).value) == (1, "small")  # type: ignore[union-attr]
    assert store.update(KEY, lambda value: value + "er").value == "smaller"  # type: ignore[union-attr]
