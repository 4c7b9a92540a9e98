"""What the todo list accepts from a client: its limits (documented in README.md) and one
check per field, each returning the clean value or raising `InvalidInput` with a message
the client can act on. Never touches storage."""

from __future__ import annotations

import re
import uuid
from typing import Any, Final

from examples.todolist.errors import InvalidInput

# -- limits (documented in README.md; the web layers answer 400/413 beyond them) -----------

#: Largest request body the API reads, in bytes.
BODY_LIMIT: Final = 16 * 1024
#: Longest todo name and description, in characters.
NAME_LIMIT: Final = 200
DESC_LIMIT: Final = 2000
#: Largest page of the list.
PAGE_SIZE_LIMIT: Final = 100
DEFAULT_PAGE_SIZE: Final = 10
#: Most keys one delete may name.
DELETE_LIMIT: Final = 100
#: User names: 1-64 characters, no spaces or control characters.
USER_NAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}")
PASSWORD_MIN: Final = 6
PASSWORD_MAX: Final = 1024

#: Todo status: 0 closed, 1 in progress (the default), 2 done, 3 paused.
CLOSED, IN_PROGRESS, DONE, PAUSED = 0, 1, 2, 3
STATUSES: Final = (CLOSED, IN_PROGRESS, DONE, PAUSED)

#: A number as a client may write it in a query string or a string field: ASCII digits
#: only, and few of them. `str.isdigit()` also passes "²" and "٣", which `int()` refuses,
#: and `int()` refuses more than 4,300 digits (CPython's conversion limit).
_DIGITS = re.compile(r"[0-9]{1,9}")
#: A UTF-16 surrogate: what JSON's "\ud800" escape decodes to when it has no pair. It has
#: no UTF-8 form, so it can be neither stored nor sent back.
_SURROGATE = re.compile("[\ud800-\udfff]")


def small_number(text: str) -> int | None:
    """The int `text` spells in ASCII digits (at most 9 of them), else None."""
    return int(text) if _DIGITS.fullmatch(text) else None


def has_lone_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def _text(value: str, name: str) -> str:
    if has_lone_surrogate(value):
        raise InvalidInput(f"{name} holds a lone surrogate (\\ud800-\\udfff), which is not text")
    return value


def check_user_name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput("userName is required (a string)")
    if not USER_NAME.fullmatch(_text(value, "userName")):
        raise InvalidInput("userName must be 1-64 characters without spaces")
    return value


def check_password(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput("password is required (a string)")
    if not PASSWORD_MIN <= len(_text(value, "password")) <= PASSWORD_MAX:
        raise InvalidInput(f"password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters")
    return value


def check_login_password(value: Any) -> str:
    """A password given at login: any the user could have registered with (the length
    rules may have changed since), but text, and not absurdly long."""
    if not isinstance(value, str) or not value or len(value) > PASSWORD_MAX:
        raise InvalidInput("password is required (a string)")
    return _text(value, "password")


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name is required (a non-empty string)")
    if len(_text(value, "name")) > NAME_LIMIT:
        raise InvalidInput(f"name may have at most {NAME_LIMIT} characters")
    return value.strip()


def check_desc(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("desc must be a string")
    if len(_text(value, "desc")) > DESC_LIMIT:
        raise InvalidInput(f"desc may have at most {DESC_LIMIT} characters")
    return value


def check_status(value: Any) -> int:
    """0-3, as a number or as a string of one (the original front end sends `"2"`)."""
    if isinstance(value, str):
        number = small_number(value.strip())
        value = value if number is None else number
    if type(value) is not int or value not in STATUSES:  # bool is an int: refused too
        raise InvalidInput("status must be 0 (closed), 1 (in progress), 2 (done) or 3 (paused)")
    return value


def check_key(value: Any) -> str:
    """A todo key as a client names it; an unknown one is a 404 later, not a 400."""
    if not isinstance(value, str) or not value or len(value) > 64:
        raise InvalidInput("key must be a todo's key (a string)")
    return _text(value, "key")


def check_new_key(value: Any) -> str:
    """A key the client chose for a new todo (retrying a create is then safe): a uuid4."""
    key = check_key(value)
    try:
        parsed = uuid.UUID(key)
    except ValueError:
        raise InvalidInput("a new todo's key must be a UUID (version 4)") from None
    if parsed.version != 4 or str(parsed) != key.lower():
        raise InvalidInput("a new todo's key must be a UUID (version 4)")
    return str(parsed)


def check_version(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value < 1:
        raise InvalidInput("version must be a positive integer (the todo's version you read)")
    return value


def check_keys(value: Any) -> list[str]:
    """The keys of a delete: a list of keys (one key alone is taken as a list of one)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidInput("key must be a list of todo keys")
    if len(value) > DELETE_LIMIT:
        raise InvalidInput(f"one delete may name at most {DELETE_LIMIT} keys")
    return list(dict.fromkeys(check_key(key) for key in value))


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
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "PAUSED",
    "STATUSES",
    "check_desc",
    "check_key",
    "check_keys",
    "check_login_password",
    "check_name",
    "check_new_key",
    "check_password",
    "check_status",
    "check_user_name",
    "check_version",
    "has_lone_surrogate",
    "small_number",
]
