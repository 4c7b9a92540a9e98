"""The requests the todo list refuses: each error names the HTTP status the Flask and
FastAPI apps answer with, and its message goes into the JSON body. Nothing else here."""

from __future__ import annotations

from typing import Any, ClassVar


class TodoError(Exception):
    """A request the todo list refuses; `status` is the HTTP status to answer with and
    `extra` more fields for the JSON body (`{success: false, message, **extra}`)."""

    status: ClassVar[int] = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidInput(TodoError):
    """Malformed JSON, a missing or wrong-typed field, a value out of range."""

    status = 400


class NotLoggedIn(TodoError):
    """No session, or a wrong user name or password."""

    status = 401


class NotFound(TodoError):
    """No todo with that key (for this user: other users' todos do not exist for them)."""

    status = 404


class Conflict(TodoError):
    """The user name is taken, the key exists, or the todo changed since the client read it
    (or other writers kept winning)."""

    status = 409


class TooLarge(TodoError):
    """The request body is over `BODY_LIMIT`."""

    status = 413


class NotJSON(TodoError):
    """A request body that is not sent as JSON (`Content-Type: application/json`)."""

    status = 415


__all__ = [
    "Conflict",
    "InvalidInput",
    "NotFound",
    "NotJSON",
    "NotLoggedIn",
    "TodoError",
    "TooLarge",
]
