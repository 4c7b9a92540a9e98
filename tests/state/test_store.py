"""The Store protocol (faasgi/state/store.py), run against every backend: memory, DynamoDB
through moto's mock, DynamoDB over HTTP through moto's server. Expected values come from
the protocol's rules and DynamoDB's documented behaviour, not from a backend's output."""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faasgi.state import (
    DELETE,
    Check,
    ConflictError,
    Delete,
    ItemTooLarge,
    Key,
    NotJSON,
    Put,
    Store,
)
from faasgi.state.store import ITEM_SIZE_LIMIT

from .conftest import Clock

KEY = Key("todos#alice", "todo#1")

# Values whose types JSON keeps apart and DynamoDB's number type would not: integral
# floats, floats outside DynamoDB's number range, -0.0, big ints, bytes, empty strings.
AWKWARD_VALUES = [
    2.0,
    -0.0,
    1e300,
    5e-324,
    0.1,
    1 / 3,
    -1.5e-7,
    10**37,
    -(10**37),
    0,
    True,
    False,
    None,
    "",
    "żółw 🐢",
    b"\x00\xff",
    b"",
    [],
    {},
    {"nested": {"list": [1, 2.5, "x", None, {"deep": [True, b"\x01"]}]}},
    [[[]], {}, [{}]],
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**37), max_value=10**37)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.binary(max_size=32),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1 == 1.0 == True in Python)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


# -- get / put -----------------------------------------------------------------------------


def test_get_of_a_missing_item_is_none(store: Store) -> None:
    assert store.get(KEY) is None


def test_put_creates_the_item_at_version_1(store: Store) -> None:
    created = store.put(KEY, {"name": "buy milk"})

    assert created.version == 1
    read = store.get(KEY)
    assert read is not None
    assert read.value == {"name": "buy milk"}
    assert read.version == 1
    assert read.key == KEY


def test_put_is_create_only_by_default_and_the_conflict_carries_the_current_item(
    store: Store,
) -> None:
    store.put(KEY, {"name": "first"})

    with pytest.raises(ConflictError) as raised:
        store.put(KEY, {"name": "second"})

    assert raised.value.current is not None
    assert raised.value.current.value == {"name": "first"}
    assert raised.value.current.version == 1
    assert store.get(KEY).value == {"name": "first"}  # type: ignore[union-attr]


def test_put_at_the_read_version_replaces_and_counts_up(store: Store) -> None:
    store.put(KEY, "v1")
    second = store.put(KEY, "v2", version=1)
    third = store.put(KEY, "v3", version=2)

    assert (second.version, third.version) == (2, 3)
    assert store.get(KEY).value == "v3"  # type: ignore[union-attr]


def test_put_at_a_stale_version_is_a_conflict_with_the_newer_item(store: Store) -> None:
    store.put(KEY, "v1")
    store.put(KEY, "v2", version=1)

    with pytest.raises(ConflictError) as raised:
        store.put(KEY, "lost update", version=1)

    current = raised.value.current
    assert current is not None
    assert (current.value, current.version) == ("v2", 2)
    assert store.get(KEY).value == "v2"  # type: ignore[union-attr]


def test_put_at_a_version_of_a_missing_item_is_a_conflict_with_no_current_item(
    store: Store,
) -> None:
    with pytest.raises(ConflictError) as raised:
        store.put(KEY, "x", version=3)

    assert raised.value.current is None
    assert store.get(KEY) is None


def test_put_with_version_none_overwrites_and_still_counts_up(store: Store) -> None:
    assert store.put(KEY, "first", version=None).version == 1
    assert store.put(KEY, "second", version=None).version == 2

    with pytest.raises(ConflictError):
        store.put(KEY, "stale", version=1)  # a reader of version 1 still conflicts


@pytest.mark.parametrize("version", [-1, 1.0, "1"])
def test_put_rejects_a_version_that_is_not_a_count(store: Store, version: Any) -> None:
    with pytest.raises(ValueError, match="version"):
        store.put(KEY, "x", version=version)


def test_items_live_in_their_own_partition_and_sort_key(store: Store) -> None:
    store.put(Key("a", "1"), "a1")
    store.put(Key("a", "2"), "a2")
    store.put(Key("b", "1"), "b1")

    assert [store.get(Key(p, s)).value for p, s in [("a", "1"), ("a", "2"), ("b", "1")]] == [  # type: ignore[union-attr]
        "a1",
        "a2",
        "b1",
    ]


@pytest.mark.parametrize(("partition", "sort"), [("", "x"), ("x", ""), ("x" * 2049, "x")])
def test_key_refuses_what_dynamodb_refuses_as_a_key(partition: str, sort: str) -> None:
    with pytest.raises(ValueError, match="key"):
        Key(partition, sort)


# -- values --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", AWKWARD_VALUES, ids=repr)
def test_values_read_back_with_their_exact_types(store: Store, value: Any) -> None:
    store.put(KEY, value)

    read = store.get(KEY)
    assert read is not None
    assert same(read.value, value), (read.value, value)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=json_values)
def test_any_json_value_reads_back_identically(store: Store, value: Any) -> None:
    store.put(KEY, value, version=None)

    read = store.get(KEY)
    assert read is not None
    expected = [value] if isinstance(value, tuple) else value
    assert same(read.value, expected), (read.value, value)


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"when": datetime.datetime(2024, 1, 1)}, "value['when']"),
        ({"tags": {"a", "b"}}, "value['tags']"),
        ([1, float("nan")], "value[1]"),
        ({"x": float("inf")}, "value['x']"),
        ({1: "int key"}, "value"),
        ({"big": 10**38}, "value['big']"),
        (object(), "value"),
        # What json.loads makes of "\ud800": a str with no UTF-8 form.
        ({"name": "a\ud800b"}, "value['name']"),
        ({"n": ["\udfff"]}, "value['n'][0]"),
        ({"\ud800": 1}, "value"),
        # A map key is an attribute name, and DynamoDB refuses an empty one.
        ({"": 1}, "value"),
        ({"a": {"": None}}, "value['a']"),
    ],
    ids=[
        "datetime",
        "set",
        "nan",
        "infinity",
        "int-key",
        "39-digit-int",
        "object",
        "lone-surrogate",
        "lone-surrogate-in-list",
        "lone-surrogate-key",
        "empty-key",
        "nested-empty-key",
    ],
)
def test_a_value_that_is_not_json_is_refused_naming_where(
    store: Store, value: Any, where: str
) -> None:
    with pytest.raises(NotJSON) as raised:
        store.put(KEY, value)

    assert str(raised.value).startswith(where + " ")
    assert store.get(KEY) is None


@pytest.mark.parametrize("part", ["partition", "sort"])
def test_a_key_with_a_lone_surrogate_is_refused_with_a_clear_error(part: str) -> None:
    parts = {"partition": "p", "sort": "s", part: "user#\ud800"}

    with pytest.raises(ValueError, match=f"key's {part} must be text with a UTF-8 form"):
        Key(**parts)


def test_an_item_over_400_kb_is_refused_with_a_clear_error(store: Store) -> None:
    with pytest.raises(ItemTooLarge, match="400 KB") as raised:
        store.put(KEY, {"blob": "x" * (ITEM_SIZE_LIMIT + 1)})

    assert raised.value.key == KEY
    assert store.get(KEY) is None


def test_an_item_under_400_kb_is_stored(store: Store) -> None:
    # moto refuses above 405,000 bytes, a little below AWS's 409,600; stay under both.
    value = {"blob": "x" * 399_000}

    store.put(KEY, value)

    assert store.get(KEY).value == value  # type: ignore[union-attr]


def test_growing_an_item_past_400_kb_leaves_the_old_one(store: Store) -> None:
    store.put(KEY, ["x" * 1000])

    with pytest.raises(ItemTooLarge):
        store.update(KEY, lambda items: [*items, "y" * ITEM_SIZE_LIMIT])

    assert store.get(KEY).value == ["x" * 1000]  # type: ignore[union-attr]


# -- update (read-modify-write) ------------------------------------------------------------


def test_update_creates_from_none(store: Store) -> None:
    item = store.update(KEY, lambda count: (count or 0) + 1)

    assert item is not None
    assert (item.value, item.version) == (1, 1)


def test_update_applies_the_function_to_the_stored_value(store: Store) -> None:
    store.put(KEY, {"done": False, "name": "milk"})

    item = store.update(KEY, lambda todo: {**todo, "done": True})

    assert item is not None
    assert item.version == 2
    assert store.get(KEY).value == {"done": True, "name": "milk"}  # type: ignore[union-attr]


def test_update_returning_delete_removes_the_item(store: Store) -> None:
    store.put(KEY, 1)

    assert store.update(KEY, lambda value: DELETE) is None
    assert store.get(KEY) is None


def test_update_that_raises_writes_nothing(store: Store) -> None:
    store.put(KEY, 1)

    def refuse(value: Any) -> Any:
        raise LookupError("no such todo")

    with pytest.raises(LookupError):
        store.update(KEY, refuse)
    assert store.get(KEY).version == 1  # type: ignore[union-attr]


def test_update_reruns_on_the_conflicting_item_without_reading_again(
    store: Store, make_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    other_copy = make_store()
    store.put(KEY, {"count": 0})
    seen: list[Any] = []
    reads: list[Key] = []
    original_get = store.get
    monkeypatch.setattr(
        store, "get", lambda key, **kw: reads.append(key) or original_get(key, **kw)
    )

    def increment(value: Any) -> Any:
        seen.append(value["count"])
        if len(seen) == 1:  # another copy of the function writes in between
            other_copy.put(KEY, {"count": 10}, version=1)
        return {"count": value["count"] + 1}

    item = store.update(KEY, increment)

    assert seen == [0, 10]
    assert reads == [KEY]  # the retry used the item the conflict returned
    assert item is not None
    assert (item.value, item.version) == ({"count": 11}, 3)
    assert store.get(KEY).value == {"count": 11}  # type: ignore[union-attr]


def test_update_from_a_known_item_skips_the_first_read(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = store.put(KEY, 5)
    monkeypatch.setattr(store, "get", lambda *a, **kw: pytest.fail("read again"))

    item = store.update(KEY, lambda n: n * 2, current=known)

    assert item is not None
    assert item.value == 10


def test_update_gives_up_after_its_attempts_with_a_conflict(
    store: Store, make_store: Callable[..., Store]
) -> None:
    other_copy = make_store()
    store.put(KEY, 0)

    def always_overtaken(value: Any) -> Any:
        other_copy.put(KEY, value + 100, version=None)
        return value + 1

    with pytest.raises(ConflictError, match="3 attempts"):
        store.update(KEY, always_overtaken, attempts=3)
    assert store.get(KEY).value == 300  # type: ignore[union-attr]


# -- expiry --------------------------------------------------------------------------------


def test_an_item_exists_until_its_ttl_and_not_after(store: Store, clock: Clock) -> None:
    store.put(KEY, "session data", ttl=60)

    clock.advance(59)
    assert store.get(KEY).value == "session data"  # type: ignore[union-attr]
    clock.advance(2)
    assert store.get(KEY) is None


def test_expires_at_is_whole_epoch_seconds_at_least_ttl_away(store: Store, clock: Clock) -> None:
    clock.now = 1_700_000_000.5

    item = store.put(KEY, 1, ttl=10)

    assert item.expires_at == 1_700_000_011
    assert store.get(KEY).expires_at == 1_700_000_011  # type: ignore[union-attr]


def test_a_create_may_replace_an_expired_item_and_its_version_goes_on(
    store: Store, clock: Clock
) -> None:
    store.put(KEY, "old", ttl=10)
    store.put(KEY, "old, written again", version=1, ttl=10)
    clock.advance(11)

    item = store.put(KEY, "new")

    # Counting on from the expired item keeps a reader of the old item from matching.
    assert item.version == 3
    assert store.get(KEY).value == "new"  # type: ignore[union-attr]


def test_update_treats_an_expired_item_as_missing(store: Store, clock: Clock) -> None:
    store.put(KEY, 41, ttl=10)
    clock.advance(10)

    item = store.update(KEY, lambda n: "fresh" if n is None else n + 1)

    assert item is not None
    assert item.value == "fresh"


def test_a_conflict_with_an_expired_item_reports_no_current_item(
    store: Store, clock: Clock
) -> None:
    store.put(KEY, "a", ttl=10)
    store.put(KEY, "b", version=1, ttl=10)
    clock.advance(11)

    with pytest.raises(ConflictError) as raised:
        store.put(KEY, "c", version=1)

    assert raised.value.current is None


def test_a_write_without_ttl_makes_the_item_permanent(store: Store, clock: Clock) -> None:
    store.put(KEY, 1, ttl=10)
    store.put(KEY, 2, version=1)
    clock.advance(3600)

    item = store.get(KEY)
    assert item is not None
    assert (item.value, item.expires_at) == (2, None)


def test_touch_moves_the_expiry_and_leaves_value_and_version(store: Store, clock: Clock) -> None:
    store.put(KEY, "data", ttl=10)
    clock.advance(8)

    assert store.touch(KEY, ttl=10) is True
    clock.advance(8)

    item = store.get(KEY)
    assert item is not None
    assert (item.value, item.version) == ("data", 1)
    clock.advance(3)
    assert store.get(KEY) is None


def test_touch_does_not_bring_back_a_missing_or_expired_item(store: Store, clock: Clock) -> None:
    assert store.touch(KEY, ttl=10) is False
    store.put(KEY, "data", ttl=10)
    clock.advance(10)

    assert store.touch(KEY, ttl=10) is False
    assert store.get(KEY) is None


@pytest.mark.parametrize("ttl", [0, -5])
def test_ttl_must_be_positive(store: Store, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.put(KEY, 1, ttl=ttl)


# -- delete --------------------------------------------------------------------------------


def test_delete_removes_the_item_and_deleting_nothing_is_fine(store: Store) -> None:
    store.put(KEY, 1)

    store.delete(KEY)
    store.delete(KEY)

    assert store.get(KEY) is None


def test_delete_at_a_stale_version_is_a_conflict_and_deletes_nothing(store: Store) -> None:
    store.put(KEY, "v1")
    store.put(KEY, "v2", version=1)

    with pytest.raises(ConflictError) as raised:
        store.delete(KEY, version=1)

    assert raised.value.current.version == 2  # type: ignore[union-attr]
    store.delete(KEY, version=2)
    assert store.get(KEY) is None


def test_delete_at_a_version_of_a_missing_item_is_a_conflict(store: Store) -> None:
    with pytest.raises(ConflictError):
        store.delete(KEY, version=1)


# -- query ---------------------------------------------------------------------------------


def fill(store: Store, partition: str, sorts: list[str]) -> None:
    for sort in sorts:
        store.put(Key(partition, sort), {"sort": sort})


def read_all(store: Store, partition: str, **options: Any) -> list[str]:
    sorts: list[str] = []
    cursor = None
    for _ in range(100):
        page = store.query(partition, cursor=cursor, **options)
        assert len(page.items) <= options.get("limit", 100)
        sorts += [item.key.sort for item in page.items]
        cursor = page.cursor
        if cursor is None:
            return sorts
    pytest.fail("the cursor never ran out")


def test_query_pages_through_a_partition_in_sort_key_order(store: Store) -> None:
    fill(store, "list", ["todo#3", "todo#1", "todo#7", "todo#5", "todo#2", "todo#6", "todo#4"])
    fill(store, "other", ["todo#0"])

    assert read_all(store, "list", limit=3) == [f"todo#{n}" for n in range(1, 8)]


def test_query_in_reverse(store: Store) -> None:
    fill(store, "list", ["a", "b", "c", "d"])

    assert read_all(store, "list", limit=3, reverse=True) == ["d", "c", "b", "a"]


def test_query_by_sort_key_prefix(store: Store) -> None:
    fill(store, "user#1", ["profile", "todo#1", "todo#2", "tag#x"])

    assert read_all(store, "user#1", prefix="todo#", limit=1) == ["todo#1", "todo#2"]


def test_query_returns_values_and_versions(store: Store) -> None:
    store.put(Key("p", "a"), {"n": 1})
    store.put(Key("p", "a"), {"n": 2}, version=1)

    page = store.query("p")

    assert [(i.value, i.version) for i in page.items] == [({"n": 2}, 2)]
    assert page.cursor is None


def test_query_skips_expired_items(store: Store, clock: Clock) -> None:
    for n in range(6):
        store.put(Key("p", str(n)), n, ttl=10 if n % 2 else None)
    clock.advance(11)

    assert read_all(store, "p", limit=2) == ["0", "2", "4"]


def test_query_of_an_empty_partition(store: Store) -> None:
    page = store.query("nobody")

    assert (page.items, page.cursor) == ([], None)


# -- batch and transactions ----------------------------------------------------------------


def test_batch_delete_removes_more_items_than_one_request_holds(store: Store) -> None:
    keys = [Key("bulk", f"{n:03}") for n in range(30)]
    for key in keys:
        store.put(key, 1)
    store.put(Key("bulk-kept", "1"), 1)

    store.batch_delete([*keys, keys[0], Key("bulk", "never-existed")])

    assert read_all(store, "bulk") == []
    assert store.get(Key("bulk-kept", "1")) is not None


def test_transaction_applies_every_write_together(store: Store) -> None:
    counter = Key("list", "counter")
    old = Key("list", "todo#old")
    store.put(counter, 1)
    store.put(old, "old")

    store.transact(
        [
            Put(Key("list", "todo#2"), {"name": "new"}),
            Put(counter, 2, version=1),
            Delete(old, version=1),
        ]
    )

    assert store.get(Key("list", "todo#2")).value == {"name": "new"}  # type: ignore[union-attr]
    assert store.get(counter).version == 2  # type: ignore[union-attr]
    assert store.get(old) is None


def test_a_failed_condition_cancels_the_whole_transaction(store: Store) -> None:
    owner = Key("list", "owner")
    store.put(owner, "alice")
    store.put(owner, "bob", version=1)

    with pytest.raises(ConflictError, match="write 1") as raised:
        store.transact([Put(Key("list", "todo#9"), "x"), Check(owner, 1)])

    assert raised.value.key == owner
    assert raised.value.current.value == "bob"  # type: ignore[union-attr]
    assert store.get(Key("list", "todo#9")) is None


def test_a_transaction_check_for_absence(store: Store) -> None:
    store.put(Key("u", "name#alice"), "taken")

    with pytest.raises(ConflictError):
        store.transact([Check(Key("u", "name#alice"), 0), Put(Key("u", "1"), "alice")])
    store.transact([Check(Key("u", "name#bob"), 0), Put(Key("u", "2"), "bob")])

    assert store.get(Key("u", "1")) is None
    assert store.get(Key("u", "2")).value == "bob"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "writes",
    [[], [Put(KEY, 1), Delete(KEY)], [Put(Key("p", str(n)), n) for n in range(101)]],
    ids=["empty", "same-key-twice", "101-writes"],
)
def test_a_transaction_dynamodb_would_refuse_is_refused_before_sending(
    store: Store, writes: list[Any]
) -> None:
    with pytest.raises(ValueError, match="transaction"):
        store.transact(writes)
