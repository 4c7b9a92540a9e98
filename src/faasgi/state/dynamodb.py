"""The Store protocol on a DynamoDB table, through boto3's low-level client, and
`ensure_table` to create that table for local runs and tests.

boto3 is imported when a store is built (at init, once per instance), never by importing
this module. Never creates or alters a table at request time.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from faasgi.state.attributes import (
    EXPIRES_AT,
    PARTITION,
    SORT,
    VALUE,
    VERSION,
    AttributeValue,
    from_attribute,
    item_size,
    table_item,
    to_attribute,
)
from faasgi.state.store import (
    ITEM_SIZE_LIMIT,
    UNREAD,
    UPDATE_ATTEMPTS,
    Check,
    ConflictError,
    Delete,
    Item,
    ItemTooLarge,
    Key,
    Page,
    Put,
    StateError,
    Unread,
    UpdateFunction,
    Write,
    check_transaction,
    check_version,
    expiry,
    is_live,
    read_modify_write,
)

#: The attempts botocore's "standard" retry mode makes for throttling and transient errors
#: (ProvisionedThroughputExceeded, ThrottlingException, 5xx, timeouts), with its jittered
#: exponential backoff.
RETRY_ATTEMPTS = 5

_BATCH_SIZE = 25  # BatchWriteItem's limit per request
_ONE = {"N": "1"}
# An item exists for the store when it has a version (every write of ours sets one). moto,
# refusing an UpdateItem for its size (by its own rule, over 405,000 bytes: LimitedSizeDict
# in moto/dynamodb/models/dynamo_type.py), leaves the bare key behind: reads skip it.
_CREATE_CONDITION = "attribute_not_exists(#version) OR #expires_at <= :now"
_VERSION_CONDITION = "#version = :expected"
_LIVE_FILTER = "attribute_not_exists(#expires_at) OR #expires_at > :now"
_TOO_LARGE = "exceeded the maximum allowed size"


def dynamodb_client(
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    retry_attempts: int = RETRY_ATTEMPTS,
) -> Any:
    """A boto3 DynamoDB client set up for a function: standard retries, short connect
    timeout. The endpoint comes from `endpoint_url`, else from botocore's own
    `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` (how a local emulator is reached)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ImportError(
            "faasgi's DynamoDB store needs boto3: pip install 'faasgi[aws]'"
        ) from None
    config = Config(
        retries={"mode": "standard", "max_attempts": retry_attempts},
        connect_timeout=3,
        read_timeout=10,
        tcp_keepalive=True,
    )
    return boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region, config=config)


class DynamoDBStore:
    """The Store protocol on one DynamoDB table (layout in docs/state.md).

    Build it once per instance, at init (module level or in the app factory): the client
    keeps its connections open from one invocation to the next.
    """

    def __init__(
        self,
        table: str,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        retry_attempts: int = RETRY_ATTEMPTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if client is None:
            client = dynamodb_client(
                endpoint_url=endpoint_url, region=region, retry_attempts=retry_attempts
            )
        from botocore.exceptions import ClientError

        self.table = table
        self.client = client
        self._clock = clock
        self._client_error = ClientError

    def __repr__(self) -> str:
        return f"<DynamoDBStore table={self.table!r} endpoint={self.client.meta.endpoint_url!r}>"

    # -- reads ------------------------------------------------------------------------------

    def get(self, key: Key, *, consistent: bool = True) -> Item | None:
        response = self.client.get_item(
            TableName=self.table, Key=_key(key), ConsistentRead=consistent
        )
        return _live_item(key, response.get("Item"), self._clock())

    def query(
        self,
        partition: str,
        *,
        prefix: str = "",
        limit: int = 100,
        cursor: str | None = None,
        reverse: bool = False,
        consistent: bool = False,
    ) -> Page:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        now = self._clock()
        condition = "#pk = :pk"
        names = {"#pk": PARTITION, "#expires_at": EXPIRES_AT}
        values: dict[str, AttributeValue] = {":pk": {"S": partition}, ":now": _number(now)}
        if prefix:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = SORT
            values[":prefix"] = {"S": prefix}
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            # Expired items are dropped by DynamoDB after `Limit` is applied, as the memory
            # store does: a page may come back short, the cursor still says whether to go on.
            "FilterExpression": _LIVE_FILTER,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "Limit": limit,
            "ScanIndexForward": not reverse,
            "ConsistentRead": consistent,
        }
        if cursor is not None:
            request["ExclusiveStartKey"] = {PARTITION: {"S": partition}, SORT: {"S": cursor}}
        response = self.client.query(**request)
        items = []
        for raw in response.get("Items", ()):
            item = _live_item(Key(partition, raw[SORT]["S"]), raw, now)
            if item is not None:
                items.append(item)
        last = response.get("LastEvaluatedKey")
        return Page(items, last[SORT]["S"] if last else None)

    # -- writes -----------------------------------------------------------------------------

    def put(
        self, key: Key, value: Any, *, version: int | None = 0, ttl: float | None = None
    ) -> Item:
        check_version(version)
        now = self._clock()
        expires_at = expiry(ttl, now)
        request = self._update_request(key, to_attribute(value), version, expires_at, now)
        if version:
            request["ReturnValues"] = "NONE"  # the new version is known: version + 1
        else:
            # ADD made the version one more than the old item's (expired or replaced), or 1.
            request["ReturnValues"] = "UPDATED_OLD"
        try:
            response = self.client.update_item(**request)
        except self._client_error as error:
            raise self._translate(error, key, version, now) from None
        if version:
            new_version = version + 1
        else:
            old = response.get("Attributes", {}).get(VERSION)
            new_version = int(old["N"]) + 1 if old else 1
        return Item(key, value, new_version, expires_at)

    def update(
        self,
        key: Key,
        function: UpdateFunction,
        *,
        ttl: float | None = None,
        attempts: int = UPDATE_ATTEMPTS,
        current: Item | Unread | None = UNREAD,
    ) -> Item | None:
        return read_modify_write(self, key, function, ttl=ttl, attempts=attempts, current=current)

    def touch(self, key: Key, *, ttl: float) -> bool:
        now = self._clock()
        expires_at = expiry(ttl, now)
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_key(key),
                UpdateExpression="SET #expires_at = :expires_at",
                ConditionExpression=f"attribute_exists(#version) AND ({_LIVE_FILTER})",
                ExpressionAttributeNames={"#version": VERSION, "#expires_at": EXPIRES_AT},
                ExpressionAttributeValues={
                    ":expires_at": {"N": str(expires_at)},
                    ":now": _number(now),
                },
            )
        except self._client_error as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete(self, key: Key, *, version: int | None = None) -> None:
        check_version(version, allow_absent=False)
        request: dict[str, Any] = {"TableName": self.table, "Key": _key(key)}
        if version is not None:
            request["ConditionExpression"] = _VERSION_CONDITION
            request["ExpressionAttributeNames"] = {"#version": VERSION}
            request["ExpressionAttributeValues"] = {":expected": {"N": str(version)}}
            request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            self.client.delete_item(**request)
        except self._client_error as error:
            raise self._translate(error, key, version, self._clock()) from None

    def batch_delete(self, keys: Iterable[Key]) -> None:
        unique = list(dict.fromkeys(keys))  # a batch may not name one key twice
        for start in range(0, len(unique), _BATCH_SIZE):
            requests = [
                {"DeleteRequest": {"Key": _key(key)}} for key in unique[start : start + _BATCH_SIZE]
            ]
            self._batch_write(requests)

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = {self.table: requests}
        for attempt in range(RETRY_ATTEMPTS * 2):
            response = self.client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
            # Unprocessed items are DynamoDB throttling part of a batch; back off, resend them.
            time.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))
        left = sum(len(items) for items in pending.values())
        raise StateError(f"batch delete: DynamoDB left {left} deletes unprocessed after retries")

    def transact(self, writes: Sequence[Write]) -> None:
        check_transaction(writes)
        now = self._clock()
        items = [self._transact_item(write, now) for write in writes]
        for attempt in range(RETRY_ATTEMPTS):
            try:
                # botocore fills ClientRequestToken and keeps it across its own retries, so
                # DynamoDB applies a retried transaction once.
                self.client.transact_write_items(TransactItems=items)
                return
            except self._client_error as error:
                code = _code(error)
                reasons = error.response.get("CancellationReasons") or []
                codes = [reason.get("Code") for reason in reasons]
                if code == "TransactionCanceledException" and "ConditionalCheckFailed" in codes:
                    index = codes.index("ConditionalCheckFailed")
                    write = writes[index]
                    current = _live_item(write.key, reasons[index].get("Item"), now)
                    expected = write.version
                    found = ConflictError.condition_failed(write.key, current, expected)
                    raise ConflictError(
                        write.key, current, f"write {index} of the transaction: {found.reason}"
                    ) from None
                if code == "TransactionCanceledException" and "TransactionConflict" in codes:
                    # Another transaction held one of the items; that is transient.
                    time.sleep(random.uniform(0, min(1.0, 0.02 * 2**attempt)))
                    continue
                too_large = [
                    index
                    for index, reason in enumerate(reasons)
                    if _TOO_LARGE in str(reason.get("Message", ""))
                ]
                if too_large or (code == "ValidationException" and _TOO_LARGE in _message(error)):
                    # moto names no write; the largest is the one over the limit.
                    index = too_large[0] if too_large else _largest(items)
                    raise ItemTooLarge(writes[index].key, None) from None
                raise
        raise StateError("transaction: DynamoDB kept reporting TransactionConflict")

    # -- requests ---------------------------------------------------------------------------

    def _update_request(
        self,
        key: Key,
        value: AttributeValue,
        version: int | None,
        expires_at: int | None,
        now: float,
    ) -> dict[str, Any]:
        """An UpdateItem (or transaction Update) that replaces the value and expiry and
        adds one to the version, under the condition `version` asks for."""
        # Checked here as well as by DynamoDB (see `_translate`): moto, refusing an
        # oversize UpdateItem, leaves the item's key behind as an empty item.
        size = item_size(table_item(key.partition, key.sort, value, (version or 0) + 1, expires_at))
        if size > ITEM_SIZE_LIMIT:
            raise ItemTooLarge(key, size)
        names = {"#value": VALUE, "#version": VERSION, "#expires_at": EXPIRES_AT}
        values: dict[str, AttributeValue] = {":value": value, ":one": _ONE}
        if expires_at is None:
            expression = "SET #value = :value REMOVE #expires_at ADD #version :one"
        else:
            expression = "SET #value = :value, #expires_at = :expires_at ADD #version :one"
            values[":expires_at"] = {"N": str(expires_at)}
        request: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(key),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if version is not None:
            self._add_condition(request, version, now)
        return request

    def _add_condition(self, request: dict[str, Any], version: int, now: float) -> None:
        names = request.setdefault("ExpressionAttributeNames", {})
        values = request.setdefault("ExpressionAttributeValues", {})
        if version == 0:
            request["ConditionExpression"] = _CREATE_CONDITION
            names["#version"] = VERSION
            names["#expires_at"] = EXPIRES_AT
            values[":now"] = _number(now)
        else:
            request["ConditionExpression"] = _VERSION_CONDITION
            names["#version"] = VERSION
            values[":expected"] = {"N": str(version)}
        # The item as it is, in the error itself: a retry needs no second read.
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"

    def _transact_item(self, write: Write, now: float) -> dict[str, Any]:
        if isinstance(write, Put):
            request = self._update_request(
                write.key, to_attribute(write.value), write.version, expiry(write.ttl, now), now
            )
            return {"Update": request}
        request = {"TableName": self.table, "Key": _key(write.key)}
        if isinstance(write, Delete):
            if write.version is not None:
                self._add_condition(request, write.version, now)
            return {"Delete": request}
        assert isinstance(write, Check)
        self._add_condition(request, write.version, now)
        return {"ConditionCheck": request}

    def _translate(self, error: Any, key: Key, expected: int | None, now: float) -> Exception:
        code = _code(error)
        if code == "ConditionalCheckFailedException":
            current = _live_item(key, error.response.get("Item"), now)
            return ConflictError.condition_failed(key, current, expected)
        if code == "ValidationException" and _TOO_LARGE in _message(error):
            return ItemTooLarge(key, None)
        return error  # type: ignore[no-any-return]


def ensure_table(store: DynamoDBStore, *, wait_seconds: float = 60) -> None:
    """Create the store's table (pay per request, TTL on `expires_at`) if it is missing.

    For local runs and tests only: a deployed function gets its table from the deployment
    template and needs no CreateTable permission. Never called at request time.
    """
    client = store.client
    with contextlib.suppress(client.exceptions.ResourceInUseException):  # it exists already
        client.create_table(
            TableName=store.table,
            KeySchema=[
                {"AttributeName": PARTITION, "KeyType": "HASH"},
                {"AttributeName": SORT, "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": PARTITION, "AttributeType": "S"},
                {"AttributeName": SORT, "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    delay = 1
    client.get_waiter("table_exists").wait(
        TableName=store.table,
        WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(wait_seconds / delay))},
    )
    ttl = client.describe_time_to_live(TableName=store.table)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        client.update_time_to_live(
            TableName=store.table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": EXPIRES_AT},
        )


def _key(key: Key) -> dict[str, AttributeValue]:
    return {PARTITION: {"S": key.partition}, SORT: {"S": key.sort}}


def _number(value: float) -> AttributeValue:
    return {"N": repr(value)}


def _live_item(key: Key, raw: Mapping[str, Any] | None, now: float) -> Item | None:
    """The item DynamoDB returned, unless it has expired (TTL deletion is lazy) or is a
    key without a version (see `_CREATE_CONDITION`)."""
    if not raw or VERSION not in raw:
        return None
    expires = raw.get(EXPIRES_AT)
    expires_at = int(expires["N"]) if expires is not None else None
    if not is_live(expires_at, now):
        return None
    value = raw.get(VALUE)
    return Item(
        key,
        from_attribute(value) if value is not None else None,
        int(raw[VERSION]["N"]),
        expires_at,
    )


def _largest(items: list[dict[str, Any]]) -> int:
    """Index of the transaction write carrying the largest value."""
    sizes = [
        item_size({VALUE: request["ExpressionAttributeValues"][":value"]})
        if "Update" in item
        else 0
        for item in items
        for request in item.values()
    ]
    return sizes.index(max(sizes))


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


__all__ = ["RETRY_ATTEMPTS", "DynamoDBStore", "dynamodb_client", "ensure_table"]
