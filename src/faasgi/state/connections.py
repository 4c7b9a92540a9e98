"""The WebSocket connection registry on a `Store`: who is connected (with the `$connect`
request's path, query and headers, the app's data) and which groups each connection is in.

Every item expires when API Gateway would have closed the connection at the latest (2 h
after it opened), because `$disconnect` is best-effort and may never arrive
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html);
the Store hides expired items on every read. Never talks to API Gateway.

Layout (one table, the Store's): a connection is the item `("ws#" + id, "connection")`;
a group member is `("ws-group#" + group, id)` (so a group is one partition, read with one
`query`); the connection's item lists its groups, so `remove` deletes every item that
names the connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from faasgi.state.store import DELETE, Key, Store

#: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
CONNECTION_SECONDS: Final = 2 * 60 * 60
#: The default table, created by `faasgi serve` and `faasgi.websockets.ensure_table()`.
DEFAULT_TABLE: Final = "faasgi-websockets"
TABLE_VARIABLE: Final = "FAASGI_WEBSOCKET_TABLE"

_CONNECTION_SORT = "connection"
_GROUP_BYTES = 1024


@dataclass(slots=True)
class ConnectionRecord:
    """One open connection as the registry keeps it."""

    connection_id: str
    #: The management API of the connection's API and stage: `https://{domain}/{stage}`.
    endpoint: str
    #: The ASGI path, query string and headers of the `$connect` request.
    path: str
    query_string: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    subprotocol: str | None = None
    #: Epoch milliseconds of `$connect` (the event's `connectedAt`).
    connected_at: int = 0
    groups: list[str] = field(default_factory=list)
    #: The app's own JSON data for this connection (`faasgi.websockets.set_data`).
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "path": self.path,
            "query": self.query_string,
            "headers": [[name, value] for name, value in self.headers],
            "subprotocol": self.subprotocol,
            "connectedAt": self.connected_at,
            "groups": list(self.groups),
            "data": self.data,
        }

    @classmethod
    def from_json(cls, connection_id: str, value: Mapping[str, Any]) -> ConnectionRecord:
        return cls(
            connection_id=connection_id,
            endpoint=str(value.get("endpoint") or ""),
            path=str(value.get("path") or "/"),
            query_string=str(value.get("query") or ""),
            headers=[(str(name), str(text)) for name, text in value.get("headers") or ()],
            subprotocol=value.get("subprotocol"),
            connected_at=int(value.get("connectedAt") or 0),
            groups=[str(group) for group in value.get("groups") or ()],
            data=dict(value.get("data") or {}),
        )


@dataclass(frozen=True, slots=True)
class Member:
    """One connection in a group: enough to post to it without reading its record."""

    connection_id: str
    endpoint: str


def check_group(group: str) -> None:
    if not isinstance(group, str) or not group:
        raise ValueError(f"a group name is a non-empty str, not {group!r}")
    if len(group.encode("utf-8")) > _GROUP_BYTES:
        raise ValueError(f"a group name may have at most {_GROUP_BYTES} bytes (UTF-8)")


class ConnectionRegistry:
    """Connections and groups on one Store; blocking calls (run them off the event loop)."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock

    def __repr__(self) -> str:
        return f"<ConnectionRegistry on {self.store!r}>"

    @staticmethod
    def connection_key(connection_id: str) -> Key:
        return Key("ws#" + connection_id, _CONNECTION_SORT)

    @staticmethod
    def member_key(group: str, connection_id: str) -> Key:
        return Key("ws-group#" + group, connection_id)

    def _ttl(self, connected_at: int) -> float:
        """Seconds until the platform's 2 h limit closes a connection opened at `connected_at`."""
        opened = connected_at / 1000 if connected_at else self._clock()
        return max(1.0, opened + CONNECTION_SECONDS - self._clock())

    def register(self, record: ConnectionRecord) -> None:
        """Store a newly accepted connection (a retried `$connect` overwrites its record)."""
        self.store.put(
            self.connection_key(record.connection_id),
            record.to_json(),
            version=None,
            ttl=self._ttl(record.connected_at),
        )

    def get(self, connection_id: str) -> ConnectionRecord | None:
        item = self.store.get(self.connection_key(connection_id))
        return None if item is None else ConnectionRecord.from_json(connection_id, item.value)

    def set_data(self, connection_id: str, data: Mapping[str, Any]) -> None:
        """Merge `data` into the connection's own data (KeyError if it is not registered)."""

        def merge(value: Any) -> Any:
            if value is None:
                raise KeyError(f"connection {connection_id!r} is not registered (closed?)")
            value["data"] = {**(value.get("data") or {}), **data}
            return value

        self._update(connection_id, merge)

    def join(self, connection_id: str, group: str) -> None:
        """Put the connection in `group` (KeyError if it is not registered)."""
        check_group(group)
        record_holder: list[ConnectionRecord] = []

        def add(value: Any) -> Any:
            if value is None:
                raise KeyError(f"connection {connection_id!r} is not registered (closed?)")
            groups = value.get("groups") or []
            if group not in groups:
                value["groups"] = [*groups, group]
            record_holder[:] = [ConnectionRecord.from_json(connection_id, value)]
            return value

        self._update(connection_id, add)
        record = record_holder[0]
        # The group list first, then the member: a crash in between leaves nothing that
        # names the connection without its record knowing (so `remove` still finds it).
        self.store.put(
            self.member_key(group, connection_id),
            {"endpoint": record.endpoint},
            version=None,
            ttl=self._ttl(record.connected_at),
        )

    def leave(self, connection_id: str, group: str) -> None:
        check_group(group)
        self.store.delete(self.member_key(group, connection_id))

        def drop(value: Any) -> Any:
            if value is None:
                return DELETE  # removed meanwhile: write nothing
            value["groups"] = [g for g in value.get("groups") or () if g != group]
            return value

        self._update(connection_id, drop, missing_ok=True)

    def members(self, group: str) -> Iterator[Member]:
        """The live connections in `group`, a page at a time."""
        check_group(group)
        cursor: str | None = None
        partition = "ws-group#" + group
        while True:
            page = self.store.query(partition, limit=500, cursor=cursor)
            for item in page.items:
                yield Member(item.key.sort, str(item.value.get("endpoint") or ""))
            cursor = page.cursor
            if cursor is None:
                return

    def remove(self, connection_id: str, *, group: str | None = None) -> None:
        """Delete every item naming the connection: its record and its group memberships
        (plus `group`'s, for a member found in a group whose record is already gone)."""
        record = self.get(connection_id)
        groups = set(record.groups if record is not None else ())
        if group is not None:
            groups.add(group)
        keys = [self.member_key(g, connection_id) for g in sorted(groups)]
        keys.append(self.connection_key(connection_id))
        self.store.batch_delete(keys)

    def _update(
        self, connection_id: str, function: Callable[[Any], Any], *, missing_ok: bool = False
    ) -> None:
        key = self.connection_key(connection_id)
        item = self.store.get(key)
        if item is None:
            if missing_ok:
                return
            function(None)  # raises KeyError with its message
            return
        ttl = max(1.0, (item.expires_at or self._clock() + 1) - self._clock())
        self.store.update(key, function, ttl=ttl, current=item)


__all__ = [
    "CONNECTION_SECONDS",
    "DEFAULT_TABLE",
    "TABLE_VARIABLE",
    "ConnectionRecord",
    "ConnectionRegistry",
    "Member",
    "check_group",
]
