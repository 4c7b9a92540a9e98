"""`faasgi.websockets`: talk to WebSocket clients from any instance of a function.

On API Gateway a connection is not a coroutine in one process: each message is its own
invocation, maybe on another instance, and messages to clients go out through the
management API (`POST https://{domain}/{stage}/@connections/{id}`,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html).
This module keeps the connections and their groups in DynamoDB (`faasgi.state`) and posts
to them, in parallel for a group; a connection API Gateway answers 410 Gone for has closed
without a `$disconnect` and is removed, and never fails a broadcast.

    await faasgi.websockets.join("room-1")                 # the current connection
    await faasgi.websockets.broadcast("room-1", "hello")   # everyone in the room

The functions are coroutines (blocking work runs in a worker thread); `hub()` gives the
same operations as plain calls, for synchronous code. boto3 is imported on first use.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

from faasgi.errors import FaasgiError
from faasgi.state.connections import (
    DEFAULT_TABLE,
    TABLE_VARIABLE,
    ConnectionRecord,
    ConnectionRegistry,
    Member,
)
from faasgi.state.store import Store

logger = logging.getLogger("faasgi.websockets")

#: Limits of API Gateway WebSocket APIs:
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
MESSAGE_LIMIT: Final = 128 * 1024  # bytes per message, also for PostToConnection
FRAME_LIMIT: Final = 32 * 1024  # bytes per frame: longer messages are split into frames
IDLE_SECONDS: Final = 10 * 60  # a connection with no traffic is closed after this
CONNECTION_SECONDS: Final = 2 * 60 * 60  # and every connection after this

#: Posts in flight at once for one broadcast: bounded, so a large group neither opens
#: hundreds of sockets nor trips the account's API rate.
BROADCAST_WORKERS: Final = 16
#: Botocore's own variable for a service endpoint; set, it replaces the event's
#: `https://{domain}/{stage}` (how `faasgi serve` points instances at its local API).
ENDPOINT_VARIABLE: Final = "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"

_REGION = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


class WebSocketError(FaasgiError):
    """A WebSocket operation that cannot be done as asked."""


class NoConnection(WebSocketError, LookupError):
    """An operation on "the current connection" outside a WebSocket invocation."""


class MessageTooLarge(WebSocketError, ValueError):
    """A message over API Gateway's 128 KB limit (the service would answer 413)."""


@dataclass(frozen=True, slots=True)
class CurrentConnection:
    connection_id: str
    endpoint: str
    #: "CONNECT", "MESSAGE" or "DISCONNECT": which invocation of the connection this is.
    event_type: str = "MESSAGE"


_current: ContextVar[CurrentConnection | None] = ContextVar(
    "faasgi.websockets.connection", default=None
)


def current_connection_id() -> str:
    """The id of the connection this invocation serves; NoConnection outside one."""
    return _current_connection().connection_id


def connecting() -> bool:
    """False only while the app runs for a later invocation of an API Gateway connection
    (a message, `$disconnect`): checks that belong to the handshake (a short-lived token in
    the query, say) go under `if connecting():`, because those invocations replay the
    `$connect` scope. True for `$connect` and on a real long-lived connection (the FC
    custom runtime, a plain ASGI server), where the endpoint runs once from the start."""
    current = _current.get()
    return current is None or current.event_type == "CONNECT"


def _current_connection() -> CurrentConnection:
    current = _current.get()
    if current is None:
        raise NoConnection(
            "no WebSocket connection is being served here: call this from the app's "
            "websocket endpoint, or pass connection_id="
        )
    return current


@dataclass(slots=True)
class BroadcastResult:
    """What one broadcast did: how many posts arrived, which connections were gone (and
    removed), and which failed otherwise (connection id -> error)."""

    sent: int = 0
    gone: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def endpoint_for(domain_name: str, stage: str) -> str:
    """The management API URL of a connection: the override variable, else the event's."""
    override = os.environ.get(ENDPOINT_VARIABLE)
    if override:
        return override.rstrip("/")
    return f"https://{domain_name}/{stage}" if stage else f"https://{domain_name}"


def encode(data: str | bytes) -> bytes:
    """A message as the bytes PostToConnection sends; MessageTooLarge over 128 KB."""
    if isinstance(data, str):
        body = data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        body = bytes(data)
    else:
        raise TypeError(f"a WebSocket message is str or bytes, not {type(data).__name__}")
    if len(body) > MESSAGE_LIMIT:
        raise MessageTooLarge(
            f"a WebSocket message may have at most {MESSAGE_LIMIT} bytes on API Gateway; "
            f"this one has {len(body)}: split it, or send a link to the data"
        )
    return body


class ManagementAPI:
    """`apigatewaymanagementapi` clients, one per endpoint, made once per instance."""

    def __init__(self, client_factory: Any = None) -> None:
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._factory = client_factory
        self._client_error: Any = None

    def client(self, endpoint: str) -> Any:
        client = self._clients.get(endpoint)
        if client is None:
            with self._lock:
                client = self._clients.get(endpoint)
                if client is None:
                    client = self._clients[endpoint] = self._make(endpoint)
        return client

    def _make(self, endpoint: str) -> Any:
        if self._factory is not None:
            return self._factory(endpoint)
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise ImportError("faasgi.websockets needs boto3: pip install 'faasgi[aws]'") from None
        host = endpoint.split("://", 1)[-1].split("/", 1)[0]
        found = _REGION.search(host)
        region = (
            found.group(1)
            if found
            else os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        )
        config = Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=3,
            read_timeout=10,
            max_pool_connections=BROADCAST_WORKERS,
        )
        return boto3.client(
            "apigatewaymanagementapi", endpoint_url=endpoint, region_name=region, config=config
        )

    def _is_gone(self, error: Exception) -> bool:
        response = getattr(error, "response", None)
        if not isinstance(response, dict):
            return False
        code = response.get("Error", {}).get("Code")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return bool(code == "GoneException" or status == 410)

    def post(self, endpoint: str, connection_id: str, data: bytes) -> bool:
        """Post to a connection; False if it is gone (410), other errors raise."""
        try:
            self.client(endpoint).post_to_connection(ConnectionId=connection_id, Data=data)
        except Exception as error:
            if self._is_gone(error):
                return False
            raise
        return True

    def delete(self, endpoint: str, connection_id: str) -> bool:
        """Close a connection; False if it was gone already."""
        try:
            self.client(endpoint).delete_connection(ConnectionId=connection_id)
        except Exception as error:
            if self._is_gone(error):
                return False
            raise
        return True


class Hub:
    """The registry and the management API together; blocking calls."""

    def __init__(self, registry: ConnectionRegistry, management: ManagementAPI | None = None):
        self.registry = registry
        self.management = management or ManagementAPI()
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def send(self, connection_id: str, data: str | bytes, *, endpoint: str | None = None) -> bool:
        """Post one message; False (and the connection removed) if it is gone."""
        body = encode(data)
        if endpoint is None:
            endpoint = self._endpoint_of(connection_id)
            if endpoint is None:
                return False
        if self.management.post(endpoint, connection_id, body):
            return True
        logger.info("connection %s is gone (410); removing it", connection_id)
        self.registry.remove(connection_id)
        return False

    def broadcast(
        self, group: str, data: str | bytes, *, exclude: Iterable[str] = ()
    ) -> BroadcastResult:
        """Post `data` to every connection in `group`, BROADCAST_WORKERS at a time."""
        body = encode(data)
        skip = set(exclude)
        members = [m for m in self.registry.members(group) if m.connection_id not in skip]
        result = BroadcastResult()
        if not members:
            return result

        def post(member: Member) -> tuple[Member, bool | str]:
            try:
                return member, self.management.post(member.endpoint, member.connection_id, body)
            except Exception as error:  # one client's failure must not stop the others
                return member, f"{type(error).__name__}: {error}"

        for member, outcome in self._pool().map(post, members):
            if outcome is True:
                result.sent += 1
            elif outcome is False:
                result.gone.append(member.connection_id)
            else:
                result.failed[member.connection_id] = str(outcome)
        for connection_id in result.gone:
            self.registry.remove(connection_id, group=group)
        if result.gone:
            logger.info("broadcast to %r: removed %d gone connection(s)", group, len(result.gone))
        if result.failed:
            logger.warning(
                "broadcast to %r: %d post(s) failed, e.g. %s",
                group,
                len(result.failed),
                next(iter(result.failed.values())),
            )
        return result

    def close(self, connection_id: str) -> None:
        """Close a connection (API Gateway then sends its `$disconnect`)."""
        endpoint = self._endpoint_of(connection_id)
        if endpoint is not None and not self.management.delete(endpoint, connection_id):
            self.registry.remove(connection_id)

    def _endpoint_of(self, connection_id: str) -> str | None:
        current = _current.get()
        if current is not None and current.connection_id == connection_id:
            return current.endpoint
        record = self.registry.get(connection_id)
        return None if record is None else record.endpoint

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            with self._executor_lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        BROADCAST_WORKERS, thread_name_prefix="faasgi-broadcast"
                    )
        return self._executor


_hub: Hub | None = None
_hub_lock = threading.Lock()


def configure(
    store: Store | None = None,
    *,
    table: str | None = None,
    management: ManagementAPI | None = None,
) -> Hub:
    """Set the hub this module's functions use: on `store`, or on the DynamoDB `table`
    (default: $FAASGI_WEBSOCKET_TABLE, else "faasgi-websockets"). Once per instance."""
    global _hub
    if store is None:
        from faasgi.state.dynamodb import DynamoDBStore

        store = DynamoDBStore(table or table_name())
    with _hub_lock:
        _hub = Hub(ConnectionRegistry(store), management)
    return _hub


def table_name() -> str:
    return os.environ.get(TABLE_VARIABLE) or DEFAULT_TABLE


def hub() -> Hub:
    """The hub in use; on first use, the DynamoDB table from the environment."""
    found = _hub
    if found is None:
        with _hub_lock:
            found = _hub
        if found is None:
            found = configure()
    return found


def ensure_table(*, endpoint_url: str | None = None) -> None:
    """Create the registry's DynamoDB table if it is missing (local runs and tests)."""
    from faasgi.state.dynamodb import DynamoDBStore
    from faasgi.state.dynamodb import ensure_table as ensure

    ensure(DynamoDBStore(table_name(), endpoint_url=endpoint_url))


async def send(connection_id: str, data: str | bytes) -> bool:
    """Post `data` to one connection; False if it has gone (it is then removed)."""
    return await asyncio.to_thread(hub().send, connection_id, data)


async def broadcast(
    group: str, data: str | bytes, *, exclude: Iterable[str] = ()
) -> BroadcastResult:
    """Post `data` to every connection in `group`; gone ones are removed, never raised."""
    return await asyncio.to_thread(hub().broadcast, group, data, exclude=exclude)


async def join(group: str, connection_id: str | None = None) -> None:
    """Put the current connection (or `connection_id`) in `group`."""
    target = connection_id or current_connection_id()
    await asyncio.to_thread(hub().registry.join, target, group)


async def leave(group: str, connection_id: str | None = None) -> None:
    """Take the current connection (or `connection_id`) out of `group`."""
    target = connection_id or current_connection_id()
    await asyncio.to_thread(hub().registry.leave, target, group)


async def close(connection_id: str | None = None) -> None:
    """Close a connection (the current one by default)."""
    await asyncio.to_thread(hub().close, connection_id or current_connection_id())


async def get_connection(connection_id: str | None = None) -> ConnectionRecord | None:
    """The registry's record of a connection (None when closed or expired)."""
    target = connection_id or current_connection_id()
    return await asyncio.to_thread(hub().registry.get, target)


async def set_data(data: Mapping[str, Any], connection_id: str | None = None) -> None:
    """Merge JSON `data` into the connection's record: state that must outlive this
    invocation (a local variable does not: the next message may run on another instance)."""
    json.dumps(data)  # a clear TypeError now rather than inside the store
    target = connection_id or current_connection_id()
    await asyncio.to_thread(hub().registry.set_data, target, data)


__all__ = [
    "BROADCAST_WORKERS",
    "CONNECTION_SECONDS",
    "ENDPOINT_VARIABLE",
    "FRAME_LIMIT",
    "IDLE_SECONDS",
    "MESSAGE_LIMIT",
    "BroadcastResult",
    "ConnectionRecord",
    "Hub",
    "ManagementAPI",
    "MessageTooLarge",
    "NoConnection",
    "WebSocketError",
    "broadcast",
    "close",
    "configure",
    "connecting",
    "current_connection_id",
    "encode",
    "endpoint_for",
    "ensure_table",
    "get_connection",
    "hub",
    "join",
    "leave",
    "send",
    "set_data",
    "table_name",
]
