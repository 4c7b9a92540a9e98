"""The AWS resources a function uses when it runs locally: a DynamoDB endpoint (moto's
server started here, or one the user gives), the tables the app declares, and the
environment variables that point instances at them.

Never touches real AWS: when it starts moto it also gives instances dummy credentials,
so an endpoint left out by mistake fails to sign in rather than reaching an account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

from faasgi.cli import UsageError, read_json

logger = logging.getLogger("faasgi.local.resources")

#: A table name (created with faasgi.state's schema) or a whole CreateTable request.
TableSpec = str | Mapping[str, Any]

_DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def table_name(spec: TableSpec) -> str:
    return spec if isinstance(spec, str) else str(spec["TableName"])


def check_tables(tables: Any, origin: str) -> list[TableSpec]:
    """`tables` as a list of table specs; UsageError naming `origin` when it is not one."""
    if not isinstance(tables, list):
        raise UsageError(f"{origin}: expected a JSON list of table names, got {tables!r}")
    for table in tables:
        if isinstance(table, str) and table:
            continue
        if isinstance(table, dict) and isinstance(table.get("TableName"), str):
            continue
        raise UsageError(
            f"{origin}: each table is a name or a CreateTable request with 'TableName', "
            f"got {table!r}"
        )
    return tables


def load_tables_file(path: str) -> list[TableSpec]:
    """The `--tables FILE`: a JSON list of table names or CreateTable requests."""
    return check_tables(read_json(path), path)


class LocalResources:
    """The DynamoDB side of a local run. `start()` before use, `stop()` after."""

    def __init__(
        self,
        dynamodb_url: str | None = None,
        *,
        dynamodb: bool = True,
        tables: Iterable[TableSpec] = (),
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self._given_url = dynamodb_url
        self._wanted = dynamodb or dynamodb_url is not None
        self._server: Any = None
        self._client: Any = None
        self._outside = os.environ if environment is None else environment
        #: Tables to create in every clean DynamoDB, by name, in declaration order.
        self.tables: dict[str, TableSpec] = {table_name(t): t for t in tables}
        self._created: set[str] = set()
        self._lock: asyncio.Lock | None = None
        self.endpoint_url: str | None = None
        self.region = (
            self._outside.get("AWS_REGION")
            or self._outside.get("AWS_DEFAULT_REGION")
            or "us-east-1"
        )
        #: Variables instances get: endpoint, credentials, region.
        self.environment: dict[str, str] = {}

    @property
    def started_here(self) -> bool:
        """True when the DynamoDB is moto's server in this process."""
        return self._server is not None

    def start(self) -> None:
        """Start moto (unless an endpoint was given or DynamoDB is off); create the tables."""
        if not self._wanted:
            return
        if self._given_url:
            self.endpoint_url = self._given_url
            credentials = {k: self._outside.get(k, v) for k, v in _DUMMY_CREDENTIALS.items()}
            if "AWS_ACCESS_KEY_ID" in self._outside and "AWS_SESSION_TOKEN" not in self._outside:
                del credentials["AWS_SESSION_TOKEN"]  # real keys without a token stay so
        else:
            from faasgi.local.dynamodb import LocalDynamoDB

            self._server = LocalDynamoDB()
            self.endpoint_url = self._server.start()
            credentials = dict(_DUMMY_CREDENTIALS)
        self.environment = {
            "AWS_ENDPOINT_URL_DYNAMODB": self.endpoint_url,
            **credentials,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }
        self.create(list(self.tables.values()))

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self) -> Any:
        """A boto3 DynamoDB client signed as the instances sign."""
        if self._client is None:
            import boto3

            env = self.environment
            self._client = boto3.client(
                "dynamodb",
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
                aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
                aws_session_token=env.get("AWS_SESSION_TOKEN"),
            )
        return self._client

    def create(self, tables: list[TableSpec]) -> list[str]:
        """Create the tables that do not exist yet; their names. Blocks: call from a thread
        when on an event loop."""
        if self.endpoint_url is None:
            return []
        from faasgi.state import DynamoDBStore, ensure_table

        client = self.client()
        created = []
        for spec in tables:
            name = table_name(spec)
            self.tables.setdefault(name, spec)
            if name in self._created:
                continue
            if isinstance(spec, str):
                ensure_table(DynamoDBStore(name, client=client))
            else:
                with contextlib.suppress(client.exceptions.ResourceInUseException):
                    client.create_table(**spec)  # unless it exists already
            self._created.add(name)
            created.append(name)
        return created

    async def declared(self, tables: list[Any]) -> None:
        """The pool's hook: an instance declared `tables` at its cold start."""
        if self.endpoint_url is None:
            return
        specs = check_tables(tables, "faasgi_tables()")
        if all(table_name(spec) in self._created for spec in specs):
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            created = await asyncio.to_thread(self.create, specs)
        if created:
            logger.info("DynamoDB: created %s (from faasgi_tables())", ", ".join(created))

    def reset(self) -> None:
        """A clean DynamoDB: every table dropped (only the known ones on an endpoint not
        started here), then the known tables created empty."""
        if self.endpoint_url is None:
            return
        if self._server is not None:
            self._server.reset()
        else:
            client = self.client()
            for name in self.tables:
                try:
                    client.delete_table(TableName=name)
                    client.get_waiter("table_not_exists").wait(TableName=name)
                except client.exceptions.ResourceNotFoundException:
                    pass
        self._created.clear()
        self.create(list(self.tables.values()))


__all__ = ["LocalResources", "TableSpec", "check_tables", "load_tables_file", "table_name"]
