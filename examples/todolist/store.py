"""The todo list's storage: users (scrypt-hashed passwords) and todos (one item per todo),
on any faasgi `Store` — DynamoDB when deployed, `MemoryStore` in unit tests.

Framework-neutral: the Flask and FastAPI apps share it and differ only in their web layer.
It keeps nothing in process memory from one call to the next (every copy of the function
must see the same data) and never reads the clock: callers pass the request's time.

Layout, in the todo table (the `pk`/`sk` of docs/state.md):

| partition        | sort key                          | value                              |
|------------------|-----------------------------------|------------------------------------|
| `user#<name>`    | `profile`                         | the user, with the password's hash |
| `todos#<name>`   | `todo#<createdAt>#<key>`          | one todo; newest first = reversed  |
| `todos#<name>`   | `key#<key>`                       | the todo's sort key (find by key)  |
| `todos#<name>`   | `count`                           | how many todos the user has        |

A todo, its `key#` pointer and the count change together in one transaction, so the count
is exact and a key never points at nothing. Edits are version-checked (`Store.update`), so
two copies of the function editing one todo at once never lose a change silently.
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final

from examples.todolist.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotJSON,
    NotLoggedIn,
    TodoError,
    TooLarge,
)
from examples.todolist.passwords import SCRYPT_N, hash_password, verify_password
from examples.todolist.validation import (
    BODY_LIMIT,
    CLOSED,
    DEFAULT_PAGE_SIZE,
    DELETE_LIMIT,
    DESC_LIMIT,
    DONE,
    IN_PROGRESS,
    NAME_LIMIT,
    PAGE_SIZE_LIMIT,
    PAUSED,
    check_desc,
    check_key,
    check_keys,
    check_login_password,
    check_name,
    check_new_key,
    check_password,
    check_status,
    check_user_name,
    check_version,
)
from faasgi.state import ConflictError, Delete, Item, Key, Put, Store
from faasgi.state.store import Write

#: Writes that lose to another writer (the count item, mostly) are retried this often.
WRITE_ATTEMPTS: Final = 12

_TODO = "todo#"
_POINTER = "key#"
_COUNT = "count"
_PROFILE = "profile"


# -- time -----------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """`2024-05-01T12:00:00.123Z`: what JavaScript's `Date.toJSON()` gives, as the original
    backend sent; fixed width, so it also sorts by time as a string."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


# -- the store ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TodoPage:
    """One page of a user's todos, newest first, and how many the user has in all."""

    todos: list[dict[str, Any]]
    total: int
    current: int
    page_size: int


class TodoStore:
    """Users and their todos on one `Store` table. Build once per instance (at init)."""

    def __init__(
        self,
        store: Store,
        *,
        scrypt_n: int = SCRYPT_N,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.scrypt_n = scrypt_n
        self._sleep = sleep
        #: A hash of a random password, checked against when the user does not exist, so a
        #: login takes as long whether or not the name is registered. Built here, at init:
        #: built on the first unknown-user login, it made that login hash twice. Immutable:
        #: the one kind of thing a copy of a function may keep between invocations.
        self._decoy = hash_password(secrets.token_urlsafe(), n=scrypt_n)

    # -- users ------------------------------------------------------------------------------

    def register(self, user_name: Any, password: Any, now: datetime) -> dict[str, Any]:
        """Create a user; `Conflict` if the name is taken. The profile, without the hash."""
        name = check_user_name(user_name)
        secret = check_password(password)
        user = {
            "name": name,
            "userid": uuid.uuid4().hex,
            "createdAt": iso(now),
            "password": hash_password(secret, n=self.scrypt_n),
        }
        try:
            self.store.put(Key("user#" + name, _PROFILE), user, version=0)
        except ConflictError:
            raise Conflict(f"the user name {name!r} is taken") from None
        return public_user(user)

    def authenticate(self, user_name: Any, password: Any) -> str | None:
        """The user's name if the password is theirs, else None (also for unknown users,
        after the same work, so timing does not tell which names exist)."""
        name = check_user_name(user_name)
        secret = check_login_password(password)
        item = self.store.get(Key("user#" + name, _PROFILE))
        if item is None:
            verify_password(secret, self._decoy)
            return None
        return name if verify_password(secret, item.value["password"]) else None

    def user(self, user_name: str) -> dict[str, Any] | None:
        """The user's public profile (no password hash), or None."""
        item = self.store.get(Key("user#" + user_name, _PROFILE))
        return public_user(item.value) if item is not None else None

    # -- todos: reads -----------------------------------------------------------------------

    def page(self, owner: str, current: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> TodoPage:
        """Page `current` (from 1) of the owner's todos, newest first.

        DynamoDB cannot skip items, so page n reads the n * page_size newest todos; the
        total comes from the count item, not from reading everything.
        """
        partition = "todos#" + owner
        wanted = current * page_size
        items: list[Item] = []
        cursor: str | None = None
        while len(items) < wanted:
            # Strongly consistent: the previous request (maybe on another copy of the
            # function) may have just added a todo, and the list must show it.
            page = self.store.query(
                partition,
                prefix=_TODO,
                limit=wanted - len(items),
                cursor=cursor,
                reverse=True,
                consistent=True,
            )
            items.extend(page.items)
            cursor = page.cursor
            if cursor is None:
                break
        todos = [todo_of(item) for item in items[wanted - page_size : wanted]]
        count = self.store.get(Key(partition, _COUNT))
        total = count.value if count is not None else 0
        return TodoPage(todos, total, current, page_size)

    def get(self, owner: str, key: str) -> dict[str, Any]:
        """One todo; `NotFound` if the owner has none with that key."""
        return todo_of(self._find(owner, key))

    # -- todos: writes ----------------------------------------------------------------------

    def create(
        self, owner: str, name: Any, desc: Any, now: datetime, *, key: Any = None
    ) -> dict[str, Any]:
        """A new todo, in progress, created and updated `now`. `key` (a uuid4 the client
        chose) makes a retried create safe: the second one is a `Conflict`."""
        todo_key = check_new_key(key) if key is not None else str(uuid.uuid4())
        stamp = iso(now)
        todo = {
            "key": todo_key,
            "name": check_name(name),
            "desc": check_desc(desc),
            "status": IN_PROGRESS,
            "createdAt": stamp,
            "updatedAt": stamp,
            "owner": owner,
            # The original front end's table (Ant Design Pro) shows these too.
            "callNo": 0,
            "progress": 0,
            "href": "",
            "avatar": "",
            "disabled": False,
        }
        partition = "todos#" + owner
        todo_item = Key(partition, f"{_TODO}{stamp}#{todo_key}")
        pointer = Key(partition, _POINTER + todo_key)

        def writes(count: Item | None) -> list[Write]:
            return [
                Put(todo_item, todo),
                Put(pointer, todo_item.sort),
                _count_write(partition, count, +1),
            ]

        try:
            self._counted(partition, writes)
        except ConflictError as conflict:
            if conflict.key == pointer:
                raise Conflict(f"a todo with the key {todo_key} exists already") from None
            raise Conflict("other requests kept changing your todo list; try again") from None
        return {**todo, "version": 1}

    def update(
        self, owner: str, key: Any, changes: Mapping[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Apply `changes` (name, desc, status; others are ignored) to the todo, with
        `updatedAt = now`. Fields the request did not name keep what is stored, even if
        another request changed them meanwhile: the write is a version-checked
        read-modify-write, rerun on the latest todo when another writer got there first.
        With `version`, the todo must still be at that version, else `Conflict`."""
        patch: dict[str, Any] = {}
        if "name" in changes:
            patch["name"] = check_name(changes["name"])
        if "desc" in changes:
            patch["desc"] = check_desc(changes["desc"])
        if "status" in changes:
            patch["status"] = check_status(changes["status"])
        expected = check_version(changes.get("version"))
        found = self._find(owner, check_key(key))
        if expected is not None and found.version != expected:
            raise Conflict(
                f"the todo changed since you read it (version {expected}, now {found.version})",
                data=todo_of(found),
            )
        stamp = iso(now)

        def apply(value: Any) -> Any:
            if value is None:  # deleted meanwhile
                raise NotFound(f"no todo with the key {key}")
            return {**value, **patch, "updatedAt": stamp}

        try:
            if expected is not None:
                # Exactly the version the client saw, or a clean 409: no merge.
                item = self.store.put(found.key, apply(found.value), version=expected)
            else:
                updated = self.store.update(found.key, apply, current=found)
                assert updated is not None
                item = updated
        except ConflictError as conflict:
            current = conflict.current
            raise Conflict(
                "the todo changed since you read it; reload and try again",
                **({"data": todo_of(current)} if current is not None else {}),
            ) from None
        return todo_of(item)

    def delete(self, owner: str, keys: Any) -> None:
        """Delete the todos with these keys, all or none: `NotFound` (and nothing deleted)
        if any key is unknown. A todo another request deletes meanwhile counts as deleted."""
        wanted = check_keys(keys)
        found = {key: self._find(owner, key) for key in wanted}
        partition = "todos#" + owner
        for key in found:
            self._delete_one(partition, key)

    # -- internals --------------------------------------------------------------------------

    def _find(self, owner: str, key: str) -> Item:
        partition = "todos#" + owner
        pointer = self.store.get(Key(partition, _POINTER + key))
        item = None
        if pointer is not None and isinstance(pointer.value, str):
            item = self.store.get(Key(partition, pointer.value))
        if item is None:
            raise NotFound(f"no todo with the key {key}")
        return item

    def _delete_one(self, partition: str, key: str) -> None:
        pointer_key = Key(partition, _POINTER + key)
        for attempt in range(WRITE_ATTEMPTS):
            pointer = self.store.get(pointer_key)
            if pointer is None:
                return  # another request deleted it
            todo = self.store.get(Key(partition, pointer.value))
            count = self.store.get(Key(partition, _COUNT))
            writes: list[Write] = [Delete(pointer.key, pointer.version)]
            if todo is not None:
                writes.append(Delete(todo.key, todo.version))
            writes.append(_count_write(partition, count, -1))
            try:
                self.store.transact(writes)
                return
            except ConflictError:
                self._pause(attempt)  # the todo was edited or the count moved: read again
        raise Conflict("other requests kept changing your todo list; try again")

    def _counted(self, partition: str, writes: Callable[[Item | None], Sequence[Write]]) -> None:
        """Run the transaction `writes(count item)` builds, again on the latest count while
        other writes to this user's list move the count first. Other conflicts raise."""
        count_key = Key(partition, _COUNT)
        count = self.store.get(count_key)
        for attempt in range(WRITE_ATTEMPTS):
            try:
                self.store.transact(writes(count))
                return
            except ConflictError as conflict:
                if conflict.key != count_key or attempt + 1 == WRITE_ATTEMPTS:
                    raise
                count = conflict.current
                if attempt:
                    self._pause(attempt)
                    count = self.store.get(count_key)

    def _pause(self, attempt: int) -> None:
        # Full jitter, so writers that collided spread out instead of colliding again.
        self._sleep(random.uniform(0, min(0.25, 0.005 * 2**attempt)))


def _count_write(partition: str, count: Item | None, change: int) -> Put:
    total = count.value if count is not None else 0
    return Put(
        Key(partition, _COUNT),
        max(0, total + change),
        version=count.version if count is not None else 0,
    )


def todo_of(item: Item) -> dict[str, Any]:
    """A stored todo as the API returns it, with its version (send it back to edit only
    the version you saw)."""
    return {**item.value, "version": item.version}


def public_user(user: Mapping[str, Any]) -> dict[str, Any]:
    """A user without the password hash."""
    return {name: value for name, value in user.items() if name != "password"}


__all__ = [
    "BODY_LIMIT",
    "CLOSED",
    "DEFAULT_PAGE_SIZE",
    "DELETE_LIMIT",
    "DESC_LIMIT",
    "DONE",
    "IN_PROGRESS",
    "NAME_LIMIT",
    "PAGE_SIZE_LIMIT",
    "PAUSED",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "NotJSON",
    "NotLoggedIn",
    "TodoError",
    "TodoPage",
    "TodoStore",
    "TooLarge",
    "hash_password",
    "iso",
    "verify_password",
]
