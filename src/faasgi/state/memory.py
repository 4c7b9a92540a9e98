"""An in-process Store with DynamoDB's semantics (versions, conditions, expiry, the 400 KB
limit, marshalling), for unit tests and a single local process.

Never for a deployed function: every copy of a function has its own memory, so data kept
here diverges between copies and vanishes when one is recycled. It warns once if used there.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from faasgi.lifecycle import _current
from faasgi.state.attributes import (
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
    ConflictError,
    Delete,
    Item,
    ItemTooLarge,
    Key,
    Page,
    Put,
    Unread,
    UpdateFunction,
    Write,
    check_transaction,
    check_version,
    expiry,
    is_live,
    read_modify_write,
)

logger = logging.getLogger("faasgi.state.memory")

#: Environment variables the platforms set inside a function (AWS Lambda, Alibaba FC).
_FUNCTION_ENVIRONMENT = ("AWS_LAMBDA_FUNCTION_NAME", "FC_FUNCTION_NAME")


class MemoryStoreWarning(UserWarning):
    """A MemoryStore is serving a FaaS function, whose copies do not share memory."""


class _Stored(NamedTuple):
    value: AttributeValue
    version: int
    expires_at: int | None


class MemoryStore:
    """The Store protocol in a dict, guarded by a lock (safe across threads)."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._partitions: dict[str, dict[str, _Stored]] = {}
        self._warned = False

    def __repr__(self) -> str:
        return f"<MemoryStore {sum(map(len, self._partitions.values()))} items>"

    # -- reads ------------------------------------------------------------------------------

    def get(self, key: Key, *, consistent: bool = True) -> Item | None:
        self._check_where()
        stored = self._partitions.get(key.partition, {}).get(key.sort)
        return self._live_item(key, stored, self._clock())

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
        self._check_where()
        if limit < 1:
            raise ValueError("limit must be at least 1")
        now = self._clock()
        with self._lock:
            items = self._partitions.get(partition, {})
            sorts = sorted((sort for sort in items if sort.startswith(prefix)), reverse=reverse)
            if cursor is not None:
                sorts = [sort for sort in sorts if (sort < cursor if reverse else sort > cursor)]
            evaluated = [(sort, items[sort]) for sort in sorts[:limit]]
            more = len(sorts) > limit
        found = [self._live_item(Key(partition, sort), stored, now) for sort, stored in evaluated]
        return Page(
            [item for item in found if item is not None],
            evaluated[-1][0] if more else None,
        )

    # -- writes -----------------------------------------------------------------------------

    def put(
        self, key: Key, value: Any, *, version: int | None = 0, ttl: float | None = None
    ) -> Item:
        self._check_where()
        check_version(version)
        now = self._clock()
        expires_at = expiry(ttl, now)
        encoded = to_attribute(value)
        with self._lock:
            partition = self._partitions.setdefault(key.partition, {})
            stored = partition.get(key.sort)
            self._check_condition(key, stored, version, now)
            new_version = (stored.version if stored is not None else 0) + 1
            self._check_size(key, encoded, new_version, expires_at)
            partition[key.sort] = _Stored(encoded, new_version, expires_at)
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
        self._check_where()
        now = self._clock()
        expires_at = expiry(ttl, now)
        with self._lock:
            partition = self._partitions.get(key.partition, {})
            stored = partition.get(key.sort)
            if stored is None or not is_live(stored.expires_at, now):
                return False
            partition[key.sort] = stored._replace(expires_at=expires_at)
            return True

    def delete(self, key: Key, *, version: int | None = None) -> None:
        self._check_where()
        check_version(version, allow_absent=False)
        with self._lock:
            partition = self._partitions.get(key.partition, {})
            stored = partition.get(key.sort)
            if version is not None:
                self._check_condition(key, stored, version, self._clock())
            partition.pop(key.sort, None)

    def batch_delete(self, keys: Iterable[Key]) -> None:
        self._check_where()
        with self._lock:
            for key in keys:
                self._partitions.get(key.partition, {}).pop(key.sort, None)

    def transact(self, writes: Sequence[Write]) -> None:
        self._check_where()
        check_transaction(writes)
        now = self._clock()
        encoded = [
            (to_attribute(write.value), expiry(write.ttl, now)) if isinstance(write, Put) else None
            for write in writes
        ]
        with self._lock:
            found = [self._partitions.get(w.key.partition, {}).get(w.key.sort) for w in writes]
            for index, (write, stored) in enumerate(zip(writes, found, strict=True)):
                try:
                    self._check_condition(write.key, stored, write.version, now)
                except ConflictError as conflict:
                    raise ConflictError(
                        write.key,
                        conflict.current,
                        f"write {index} of the transaction: {conflict.reason}",
                    ) from None
                if isinstance(write, Put):
                    value, expires_at = encoded[index]  # type: ignore[misc]
                    version = (stored.version if stored is not None else 0) + 1
                    self._check_size(write.key, value, version, expires_at)
            for index, (write, stored) in enumerate(zip(writes, found, strict=True)):
                partition = self._partitions.setdefault(write.key.partition, {})
                if isinstance(write, Put):
                    value, expires_at = encoded[index]  # type: ignore[misc]
                    version = (stored.version if stored is not None else 0) + 1
                    partition[write.key.sort] = _Stored(value, version, expires_at)
                elif isinstance(write, Delete):
                    partition.pop(write.key.sort, None)

    # -- semantics shared with DynamoDB -----------------------------------------------------

    def _check_condition(
        self, key: Key, stored: _Stored | None, version: int | None, now: float
    ) -> None:
        """DynamoDB's conditions: `attribute_not_exists(pk) OR expires_at <= :now` for
        version 0, `version = :v` otherwise (whether or not the item has expired since)."""
        if version is None:
            return
        if version == 0:
            held = stored is None or not is_live(stored.expires_at, now)
        else:
            held = stored is not None and stored.version == version
        if not held:
            raise ConflictError.condition_failed(key, self._live_item(key, stored, now), version)

    def _check_size(
        self, key: Key, value: AttributeValue, version: int, expires_at: int | None
    ) -> None:
        size = item_size(table_item(key.partition, key.sort, value, version, expires_at))
        if size > ITEM_SIZE_LIMIT:
            raise ItemTooLarge(key, size)

    @staticmethod
    def _live_item(key: Key, stored: _Stored | None, now: float) -> Item | None:
        if stored is None or not is_live(stored.expires_at, now):
            return None
        return Item(key, from_attribute(stored.value), stored.version, stored.expires_at)

    def _check_where(self) -> None:
        if self._warned:
            return
        if _current.get(None) is None and not any(map(os.environ.get, _FUNCTION_ENVIRONMENT)):
            return
        self._warned = True
        message = (
            "a MemoryStore is serving a FaaS function: each copy of the function has its own "
            "memory, so sessions and data kept here differ between copies and are lost when a "
            "copy is recycled. Use DynamoDBStore for anything deployed."
        )
        warnings.warn(message, MemoryStoreWarning, stacklevel=3)
        logger.warning(message)


__all__ = ["MemoryStore", "MemoryStoreWarning"]
