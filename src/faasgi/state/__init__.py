"""Sessions and application data in DynamoDB, safe when many copies of a function write at
once: versioned items with conditional writes.

    from faasgi.state import DynamoDBStore, Key, Sessions

    store = DynamoDBStore("my-table")          # once per instance, at init
    store.update(Key("counters", "visits"), lambda n: (n or 0) + 1)

Importing this package imports neither boto3 nor any web framework.
"""

from faasgi.state.dynamodb import DynamoDBStore, ensure_table
from faasgi.state.memory import MemoryStore
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
    "Check",
    "ConflictError",
    "Delete",
    "DynamoDBStore",
    "Item",
    "ItemTooLarge",
    "Key",
    "MemoryStore",
    "NotJSON",
    "Page",
    "Put",
    "StateError",
    "Store",
    "ensure_table",
]
