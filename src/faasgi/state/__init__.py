"""Sessions and application data in DynamoDB, safe when many copies of a function write at
once: versioned items with conditional writes, and server-side sessions for any framework.

    from faasgi.state import DynamoDBStore, Key, Sessions

    store = DynamoDBStore("my-table")          # once per instance, at init
    store.update(Key("counters", "visits"), lambda n: (n or 0) + 1)

Importing this package imports neither boto3 nor any web framework.
"""

from faasgi.state.dynamodb import DynamoDBStore, ensure_table
from faasgi.state.memory import MemoryStore
from faasgi.state.sessions import (
    ASGISessionMiddleware,
    MissingSecret,
    Session,
    SessionConflict,
    Sessions,
    WSGISessionMiddleware,
)
from faasgi.state.store import (
    DELETE,
    Check,
    ConflictError,
    Delete,
    Item,
    ItemTooLarge,
    Key,
    NotJSON,
    Page,
    Put,
    StateError,
    Store,
)

__all__ = [
    "DELETE",
    "ASGISessionMiddleware",
    "Check",
    "ConflictError",
    "Delete",
    "DynamoDBStore",
    "Item",
    "ItemTooLarge",
    "Key",
    "MemoryStore",
    "MissingSecret",
    "NotJSON",
    "Page",
    "Put",
    "Session",
    "SessionConflict",
    "Sessions",
    "StateError",
    "Store",
    "WSGISessionMiddleware",
    "ensure_table",
]
