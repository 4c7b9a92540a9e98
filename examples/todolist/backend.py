"""Where the todo list keeps its data, read from the environment once per instance (at init):
the two DynamoDB tables, the session secret, and whether this is a local run.

Deployed, the tables come from the deployment template and are never created here. Only
when `FAASGI_LOCAL=1` says the run is local (moto's DynamoDB behind
`AWS_ENDPOINT_URL_DYNAMODB`) does init create them, and may sessions use a public dev secret.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Final

from examples.todolist.store import TodoStore
from faasgi.state import DynamoDBStore, MissingSecret, Sessions, ensure_table

logger = logging.getLogger("examples.todolist")

TODO_TABLE_VARIABLE: Final = "TODO_TABLE"
SESSION_TABLE_VARIABLE: Final = "SESSION_TABLE"
DEFAULT_TODO_TABLE: Final = "faasgi-todos"
DEFAULT_SESSION_TABLE: Final = "faasgi-sessions"
#: Set to 1 for a local run: create the tables at init, allow a dev session secret and
#: session cookies over plain http. Never set it on a deployed function.
LOCAL_VARIABLE: Final = "FAASGI_LOCAL"
#: The region when the environment names none (Lambda always sets AWS_REGION; the FC
#: descriptors set AWS_DEFAULT_REGION).
DEFAULT_REGION: Final = "us-east-1"


@dataclass(frozen=True, slots=True)
class Backend:
    """The todo store and the sessions one instance serves with.

    `sessions` is None, and `problem` says why, when the function is deployed without a
    session secret: the page still loads and the API answers 503 with the reason, rather
    than the whole function failing to start with nothing on screen.
    """

    todos: TodoStore
    sessions: Sessions | None
    problem: str | None = None


def table_names() -> list[str]:
    """The todo table and the session table, as the environment names them."""
    return [
        os.environ.get(TODO_TABLE_VARIABLE) or DEFAULT_TODO_TABLE,
        os.environ.get(SESSION_TABLE_VARIABLE) or DEFAULT_SESSION_TABLE,
    ]


def is_local() -> bool:
    return os.environ.get(LOCAL_VARIABLE, "").strip().lower() in ("1", "true", "yes")


def from_environment() -> Backend:
    """Build the stores from the environment: call at init, never per request."""
    todo_table, session_table = table_names()
    local = is_local()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    todo_store = DynamoDBStore(todo_table, region=region)
    # One client for both tables: one connection pool, one set of credentials.
    session_store = DynamoDBStore(session_table, client=todo_store.client)
    if local:
        ensure_table(todo_store)
        ensure_table(session_store)
    todos = TodoStore(todo_store)
    try:
        sessions = Sessions(session_store, dev=local, secure=not local)
    except MissingSecret as error:
        logger.error("the todo list cannot log anyone in: %s", error)
        return Backend(todos, None, problem=f"the server is not configured: {error}")
    return Backend(todos, sessions)


__all__ = [
    "DEFAULT_SESSION_TABLE",
    "DEFAULT_TODO_TABLE",
    "LOCAL_VARIABLE",
    "Backend",
    "from_environment",
    "is_local",
    "table_names",
]
