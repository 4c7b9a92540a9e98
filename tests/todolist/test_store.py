"""examples/todolist/store.py on its own: the item layout its docstring documents, scrypt
password hashes (cost, salt, constant-time compare), exact counts and paging, and the
retries that keep concurrent writers from losing anything. MemoryStore has DynamoDB's
semantics; the DynamoDB runs are in test_concurrency.py and test_scale_out.py."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from examples.todolist import passwords, validation
from examples.todolist.store import (
    DONE,
    Conflict,
    InvalidInput,
    NotFound,
    TodoStore,
    hash_password,
    iso,
    verify_password,
)
from faasgi.state import Key, MemoryStore, Page

FAST = 2**4
NOW = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


@pytest.fixture
def memory() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def todos(memory: MemoryStore) -> TodoStore:
    return TodoStore(memory, scrypt_n=FAST, sleep=lambda seconds: None)


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


# -- time -----------------------------------------------------------------------------------


def test_iso_matches_javascripts_date_to_json() -> None:
    # new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 123)).toJSON() === "2024-05-01T12:00:00.123Z"
    assert iso(NOW) == "2024-05-01T12:00:00.123Z"
    beijing = timezone(timedelta(hours=8))
    assert iso(datetime(2024, 5, 1, 20, 0, 0, 5000, tzinfo=beijing)) == "2024-05-01T12:00:00.005Z"


# -- passwords ------------------------------------------------------------------------------


def test_new_passwords_use_scrypt_at_the_documented_cost() -> None:
    stored = hash_password("hunter22")
    assert (stored["kdf"], stored["n"], stored["r"], stored["p"]) == ("scrypt", 2**14, 8, 1)
    salt = base64.b64decode(stored["salt"])
    assert len(salt) == 16
    # The hash is scrypt's, as RFC 7914 defines it (computed here independently).
    expected = hashlib.scrypt(b"hunter22", salt=salt, n=2**14, r=8, p=1, dklen=32, maxmem=2**25)
    assert base64.b64decode(stored["hash"]) == expected


def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_password("same", n=FAST), hash_password("same", n=FAST)
    assert first["salt"] != second["salt"]
    assert first["hash"] != second["hash"]


def test_verify_accepts_the_password_and_nothing_else() -> None:
    stored = hash_password("s3cret!", n=FAST)
    assert verify_password("s3cret!", stored)
    assert not verify_password("s3cret", stored)
    assert not verify_password("S3cret!", stored)
    assert not verify_password("s3cret!", {**stored, "kdf": "md5"})


def test_a_hash_made_at_another_cost_still_verifies() -> None:
    assert verify_password("older", hash_password("older", n=2**5))


def test_passwords_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = passwords.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(passwords.hmac, "compare_digest", spy)
    assert verify_password("abcdef", hash_password("abcdef", n=FAST))
    assert len(compared) == 1


def test_the_stored_user_holds_no_clear_password(todos: TodoStore, memory: MemoryStore) -> None:
    profile = todos.register("alice", "clear text password", NOW)
    assert "password" not in profile
    item = memory.get(Key("user#alice", "profile"))
    assert item is not None
    assert "clear text password" not in json.dumps(item.value)
    assert verify_password("clear text password", item.value["password"])


def test_an_unknown_user_costs_the_same_scrypt_run(
    todos: TodoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Otherwise a login's timing tells which user names exist."""
    todos.register("known", "password1", NOW)
    runs: list[int] = []
    real = passwords._scrypt

    def counting(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        runs.append(n)
        return real(password, salt, n, r, p)

    monkeypatch.setattr(passwords, "_scrypt", counting)
    assert todos.authenticate("known", "password1") == "known"
    known = list(runs)
    runs.clear()
    assert todos.authenticate("unknown", "password1") is None
    # One verification, at the same cost: the decoy hash was built at init, not by the
    # first unknown-user login (which then ran scrypt twice, measurably slower).
    assert runs == known == [FAST]


def test_the_decoy_hash_is_built_at_init(
    memory: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[int] = []
    real = passwords._scrypt

    def counting(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        runs.append(n)
        return real(password, salt, n, r, p)

    monkeypatch.setattr(passwords, "_scrypt", counting)
    todos = TodoStore(memory, scrypt_n=FAST)
    assert runs == [FAST]  # at init
    assert todos.authenticate("nobody", "password1") is None
    assert runs == [FAST, FAST]  # the first unknown-user login: one run


def test_user_names_are_taken_once(todos: TodoStore) -> None:
    todos.register("bob", "password1", NOW)
    with pytest.raises(Conflict):
        todos.register("bob", "password2", NOW)
    assert todos.authenticate("bob", "password1") == "bob"
    assert todos.authenticate("bob", "password2") is None


# -- layout ---------------------------------------------------------------------------------


def test_a_todo_is_one_item_in_its_users_partition(todos: TodoStore, memory: MemoryStore) -> None:
    """The layout store.py's docstring (and the README) document."""
    todo = todos.create("carol", "buy milk", "", NOW)
    page = memory.query("todos#carol")
    sorts = sorted(item.key.sort for item in page.items)
    assert sorts == sorted(
        ["count", f"key#{todo['key']}", f"todo#2024-05-01T12:00:00.123Z#{todo['key']}"]
    )
    values = {item.key.sort.partition("#")[0]: item.value for item in page.items}
    assert values["count"] == 1
    assert values["key"] == f"todo#2024-05-01T12:00:00.123Z#{todo['key']}"
    assert values["todo"]["name"] == "buy milk"
    assert memory.query("todos#someone-else").items == []


def test_the_count_follows_creates_and_deletes(todos: TodoStore) -> None:
    made = [todos.create("dan", f"todo {n}", "", at(n)) for n in range(5)]
    todos.delete("dan", [made[0]["key"], made[3]["key"]])
    todos.delete("dan", [made[1]["key"]])
    assert todos.page("dan", 1, 10).total == 2
    assert [todo["name"] for todo in todos.page("dan", 1, 10).todos] == ["todo 4", "todo 2"]


def test_paging_reads_on_when_the_table_returns_short_pages(memory: MemoryStore) -> None:
    """DynamoDB returns at most 1 MB per query: page n must follow the cursor."""

    class ShortPages(MemoryStore):
        def query(self, partition: str, **options: Any) -> Page:
            options["limit"] = min(options.get("limit", 100), 3)
            return super().query(partition, **options)

    short = ShortPages()
    todos = TodoStore(short, scrypt_n=FAST)
    for n in range(25):
        todos.create("erin", f"todo {n:02}", "", at(n))
    page = todos.page("erin", 3, 10)
    assert [todo["name"] for todo in page.todos] == [f"todo {n:02}" for n in range(4, -1, -1)]
    assert page.total == 25


# -- edits ----------------------------------------------------------------------------------


def test_an_update_keeps_what_another_writer_changed_meanwhile(
    todos: TodoStore, memory: MemoryStore
) -> None:
    """Two copies edit one todo: the second's write is conditional on the version it read,
    fails, and is redone on the first's result, so both changes are kept."""
    todo = todos.create("frank", "draft", "", NOW)
    real_put = memory.put
    interfered = False

    def put_after_someone_else(key: Key, value: Any, **options: Any) -> Any:
        nonlocal interfered
        if not interfered and key.sort.startswith("todo#"):
            interfered = True  # the other copy's write lands between our read and write
            current = memory.get(key)
            assert current is not None
            real_put(key, {**current.value, "desc": "theirs"}, version=current.version)
        return real_put(key, value, **options)

    memory.put = put_after_someone_else  # type: ignore[method-assign]
    updated = todos.update("frank", todo["key"], {"status": DONE}, at(1))
    assert interfered
    assert (updated["status"], updated["desc"], updated["version"]) == (DONE, "theirs", 3)


def test_an_update_naming_a_version_never_overwrites_a_newer_one(todos: TodoStore) -> None:
    todo = todos.create("grace", "draft", "", NOW)
    todos.update("grace", todo["key"], {"name": "first"}, at(1))
    with pytest.raises(Conflict) as refused:
        todos.update("grace", todo["key"], {"name": "second", "version": 1}, at(2))
    assert refused.value.extra["data"]["name"] == "first"
    assert todos.get("grace", todo["key"])["name"] == "first"


def test_a_delete_retries_when_the_todo_was_edited_meanwhile(
    todos: TodoStore, memory: MemoryStore
) -> None:
    todo = todos.create("heidi", "short-lived", "", NOW)
    real_transact = memory.transact
    calls = 0

    def transact_after_an_edit(writes: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            todos.update("heidi", todo["key"], {"desc": "edited"}, at(1))
        real_transact(writes)

    memory.transact = transact_after_an_edit  # type: ignore[method-assign]
    todos.delete("heidi", [todo["key"]])
    assert calls == 2
    assert todos.page("heidi").total == 0
    with pytest.raises(NotFound):
        todos.get("heidi", todo["key"])


def test_concurrent_creates_and_deletes_keep_the_count_exact(todos: TodoStore) -> None:
    keys: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def create_some(worker: int) -> None:
        start.wait()
        for n in range(10):
            todo = todos.create("ivan", f"{worker}-{n}", "", at(worker + n / 100))
            with lock:
                keys.append(todo["key"])

    threads = [threading.Thread(target=create_some, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert todos.page("ivan", 1, 100).total == 60
    halves = [keys[::2], keys[1::2]]
    deleters = [threading.Thread(target=todos.delete, args=("ivan", half[:20])) for half in halves]
    for thread in deleters:
        thread.start()
    for thread in deleters:
        thread.join()
    page = todos.page("ivan", 1, 100)
    assert page.total == len(page.todos) == 20


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "expected"), [(0, 0), (3, 3), ("2", 2), (" 1 ", 1), ("0", 0)])
def test_status_may_be_a_number_or_its_string(status: Any, expected: int) -> None:
    assert validation.check_status(status) == expected


@pytest.mark.parametrize(
    "status",
    [4, -1, "4", "02x", "", True, False, 1.0, None, [2], "\u00b2", "\u0663", "1" * 4301],
)
def test_anything_else_is_not_a_status(status: Any) -> None:
    with pytest.raises(InvalidInput):
        validation.check_status(status)


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("name", lambda todos: todos.create("olga", "a\ud800", "", NOW)),
        ("desc", lambda todos: todos.create("olga", "ok", "\udfff", NOW)),
        ("userName", lambda todos: todos.register("\ud800", "password1", NOW)),
        ("password", lambda todos: todos.register("olga2", "pass\ud800word", NOW)),
        ("userName", lambda todos: todos.authenticate("\ud800", "password1")),
        ("password", lambda todos: todos.authenticate("olga", "pass\ud800word")),
        ("key", lambda todos: todos.update("olga", "\ud800", {"name": "x"}, NOW)),
        ("key", lambda todos: todos.delete("olga", ["\ud800"])),
    ],
)
def test_a_lone_surrogate_is_invalid_input_naming_the_field(
    todos: TodoStore, field: str, call: Any
) -> None:
    with pytest.raises(InvalidInput, match=f"^{field} holds a lone surrogate"):
        call(todos)
