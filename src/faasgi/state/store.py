"""The Store protocol: versioned items in one key-value table, conditional writes, expiry.

Every backend (DynamoDB, memory) gives exactly these semantics, and one test suite holds
both to them. The read-modify-write loop lives here, once, on top of the protocol. Never
imports boto3.

Semantics, for every backend:

- An item is (key, value, version, expires_at). `value` is any JSON value or bytes.
  `version` is 1 when an item is first created and grows by one with every write (a create
  over an expired item goes on from its version), so a writer can make its write
  conditional on what it read (optimistic locking, no locks held).
- `version=0` in a write means "the item must not exist"; `version=None` means "whatever
  is there" (last writer wins, and the version still grows).
- An item whose `expires_at` (epoch seconds) has passed does not exist: reads skip it and a
  create may replace it. DynamoDB's TTL deletes expired items only lazily (within days) and
  moto never does, so expiry is checked on every read, never left to the table.
- A failed condition raises `ConflictError` carrying the item as it is now, so a retry
  needs no second read.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from faasgi.errors import FaasgiError

#: The largest item DynamoDB stores (names and values, UTF-8), 400 KB, where "all size
#: measurements in DynamoDB use binary-based units" (1 KB = 1024 bytes):
#: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html
ITEM_SIZE_LIMIT: Final = 400 * 1024
#: How often `update` tries before giving up with `ConflictError`.
UPDATE_ATTEMPTS: Final = 50

_PARTITION_KEY_LIMIT = 2048
_SORT_KEY_LIMIT = 1024


class StateError(FaasgiError):
    """Base class of the errors faasgi.state raises on purpose."""


class NotJSON(StateError, TypeError):
    """A value to store is not JSON (nor bytes): a datetime, a set, NaN, a non-str key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        #: Where in the value, outermost first: `["['user']", "[2]"]`.
        self.path: list[str] = []
        #: What the path starts from, for the message.
        self.root = "value"

    def __str__(self) -> str:
        return self.root + "".join(self.path) + " " + self.reason


class ItemTooLarge(StateError, ValueError):
    """The item would exceed DynamoDB's 400 KB item limit."""

    def __init__(self, key: Key, size: int | None) -> None:
        measured = f"would be {size} bytes, over" if size is not None else "would exceed"
        super().__init__(
            f"item {key} {measured} DynamoDB's item limit of 400 KB ({ITEM_SIZE_LIMIT} bytes); "
            "split it into several items (one per list entry, say) or keep large blobs in "
            "object storage (S3, OSS) and store their keys"
        )
        self.key = key
        self.size = size


class ConflictError(StateError):
    """A conditional write found the item in another state than expected.

    `current` is the item as it is now (None when it does not exist), read by the write
    itself (DynamoDB's ReturnValuesOnConditionCheckFailure=ALL_OLD), so a retry needs no
    second read.
    """

    def __init__(self, key: Key, current: Item | None, reason: str) -> None:
        super().__init__(f"item {key}: {reason}")
        self.key = key
        self.current = current
        self.reason = reason

    @classmethod
    def condition_failed(
        cls, key: Key, current: Item | None, expected: int | None
    ) -> ConflictError:
        found = f"version {current.version}" if current is not None else "no item"
        wanted = "no item" if expected == 0 else f"version {expected}"
        return cls(key, current, f"expected {wanted}, found {found}")


@dataclass(frozen=True, slots=True)
class Key:
    """Where an item lives: its partition (what `query` reads together) and its sort key
    within the partition. Both are non-empty strings, as DynamoDB requires of key values."""

    partition: str
    sort: str

    def __post_init__(self) -> None:
        for name, text, limit in (
            ("partition", self.partition, _PARTITION_KEY_LIMIT),
            ("sort", self.sort, _SORT_KEY_LIMIT),
        ):
            if not isinstance(text, str) or not text:
                raise ValueError(f"a key's {name} must be a non-empty str, not {text!r}")
            if text.isascii():
                if len(text) > limit:
                    raise ValueError(f"a key's {name} may have at most {limit} bytes (UTF-8)")
                continue
            try:
                size = len(text.encode("utf-8"))
            except UnicodeEncodeError:  # a lone surrogate: DynamoDB keys are UTF-8
                raise ValueError(
                    f"a key's {name} must be text with a UTF-8 form; {text!r} has a lone surrogate"
                ) from None
            if size > limit:
                raise ValueError(f"a key's {name} may have at most {limit} bytes (UTF-8)")

    def __str__(self) -> str:
        return f"({self.partition!r}, {self.sort!r})"


@dataclass(frozen=True, slots=True)
class Item:
    """One stored item as read: its value is a fresh copy the caller may change freely."""

    key: Key
    value: Any
    version: int
    #: Epoch seconds after which the item no longer exists; None: it never expires.
    expires_at: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a partition's items in sort-key order.

    `cursor` is None once the partition has been read to its end; otherwise pass it to the
    next `query`. A page may hold fewer items than asked for (expired items are skipped
    after the limit is applied, as DynamoDB applies filters), so stop on the cursor, not on
    a short page.
    """

    items: list[Item]
    cursor: str | None


class Deleted:
    """The type of `DELETE`."""

    _instance: Deleted | None = None

    def __new__(cls) -> Deleted:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DELETE"


#: Returned by an `update` function: delete the item instead of writing a value.
DELETE: Final = Deleted()


class Unread:
    def __repr__(self) -> str:
        return "UNREAD"


#: `update(current=UNREAD)`: read the item first (the default).
UNREAD: Final = Unread()


@dataclass(frozen=True, slots=True)
class Put:
    """A write in a transaction: like `Store.put`."""

    key: Key
    value: Any
    version: int | None = 0
    ttl: float | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    """A delete in a transaction: like `Store.delete`."""

    key: Key
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """A condition in a transaction: the item must be at `version` (0: must not exist)."""

    key: Key
    version: int


Write = Put | Delete | Check
UpdateFunction = Callable[[Any], Any]


class Store(Protocol):
    """Versioned items with conditional writes; see this module's docstring."""

    def get(self, key: Key, *, consistent: bool = True) -> Item | None:
        """The item, or None if it does not exist or has expired.

        Reads are strongly consistent unless `consistent=False`: a read right after a write
        on another instance must see it (a session saved by one copy of the function and
        read by the next request on another).
        """
        ...

    def put(
        self, key: Key, value: Any, *, version: int | None = 0, ttl: float | None = None
    ) -> Item:
        """Write `value`. `version=0` (default): only if the item does not exist;
        `version=n`: only if it is at version n; `version=None`: unconditionally.
        `ttl`: seconds until the item expires (None: never). Raises `ConflictError`."""
        ...

    def update(
        self,
        key: Key,
        function: UpdateFunction,
        *,
        ttl: float | None = None,
        attempts: int = UPDATE_ATTEMPTS,
        current: Item | Unread | None = UNREAD,
    ) -> Item | None:
        """Read-modify-write: `function(value or None)` returns the new value (or `DELETE`);
        rerun on the latest item whenever another writer got there first."""
        ...

    def touch(self, key: Key, *, ttl: float) -> bool:
        """Move a live item's expiry to `ttl` seconds from now, leaving its value and
        version alone (so concurrent writers do not conflict). False if there is no item."""
        ...

    def delete(self, key: Key, *, version: int | None = None) -> None:
        """Delete the item (if at `version`, when given). Raises `ConflictError`."""
        ...

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
        """Items of one partition whose sort key starts with `prefix`, in sort-key order
        (descending if `reverse`), `limit` at a time; see `Page` for the cursor."""
        ...

    def batch_delete(self, keys: Iterable[Key]) -> None:
        """Delete many items, unconditionally, not atomically (a bulk clean-up)."""
        ...

    def transact(self, writes: Sequence[Write]) -> None:
        """Apply up to 100 writes atomically: all conditions hold and all writes happen, or
        `ConflictError` names the first write whose condition failed and nothing happens."""
        ...


def expiry(ttl: float | None, now: float) -> int | None:
    """`expires_at` for a write made at `now` with `ttl`: whole epoch seconds, rounded up so
    an item lives at least `ttl` seconds (DynamoDB's TTL attribute takes integers)."""
    if ttl is None:
        return None
    if ttl <= 0:
        raise ValueError(f"ttl must be a positive number of seconds, not {ttl!r}")
    return math.ceil(now + ttl)


def is_live(expires_at: int | None, now: float) -> bool:
    return expires_at is None or expires_at > now


def check_version(version: int | None, allow_absent: bool = True) -> None:
    if version is None:
        return
    if type(version) is not int or version < 0 or (version == 0 and not allow_absent):
        raise ValueError(f"version must be a positive int{', 0' if allow_absent else ''} or None")


def check_transaction(writes: Sequence[Write]) -> None:
    """DynamoDB's rules for a transaction, checked before anything is sent."""
    if not writes:
        raise ValueError("a transaction needs at least one write")
    if len(writes) > 100:
        raise ValueError(f"a transaction holds at most 100 writes, not {len(writes)}")
    seen: set[Key] = set()
    for write in writes:
        if write.key in seen:
            raise ValueError(f"item {write.key} appears twice in one transaction")
        seen.add(write.key)
        if isinstance(write, Put):
            check_version(write.version)
        elif isinstance(write, Delete):
            check_version(write.version, allow_absent=False)
        elif isinstance(write, Check):
            check_version(write.version)
        else:
            raise TypeError(f"{write!r} is not a Put, Delete or Check")


def read_modify_write(
    store: Store,
    key: Key,
    function: UpdateFunction,
    *,
    ttl: float | None,
    attempts: int,
    current: Item | Unread | None,
    sleep: Callable[[float], None] = time.sleep,
) -> Item | None:
    """`Store.update` for every backend: conditional write of `function(current value)`.

    After a first conflict it reruns at once on the item the conflict returned (no second
    read: with two writers, that retry wins). After further conflicts it is contending with
    several writers: it pauses (exponential backoff with full jitter, so writers spread
    out) and then reads the item afresh, because the one the conflict returned is older
    than the pause by then and would surely lose again.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    item = store.get(key, consistent=True) if isinstance(current, Unread) else current
    for attempt in range(attempts):
        expected = 0 if item is None else item.version
        new_value = function(None if item is None else item.value)
        try:
            if new_value is DELETE:
                if item is not None:
                    store.delete(key, version=expected)
                return None
            return store.put(key, new_value, version=expected, ttl=ttl)
        except ConflictError as conflict:
            item = conflict.current
            if attempt > 0 and attempt + 1 < attempts:
                sleep(random.uniform(0, min(0.5, 0.004 * 2**attempt)))
                item = store.get(key, consistent=True)
    found = "no item" if item is None else f"version {item.version}"
    raise ConflictError(
        key, item, f"gave up after {attempts} attempts; other writers kept winning (now {found})"
    )
