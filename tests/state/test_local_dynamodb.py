"""The local DynamoDB (faasgi/local/dynamodb.py) and the `moto_dynamodb` fixture."""

from __future__ import annotations

import logging
import os
import socket
import urllib.parse

import pytest

from faasgi.local.dynamodb import LocalDynamoDB
from faasgi.state import DynamoDBStore, Key, ensure_table

pytestmark = pytest.mark.slow


def test_serves_dynamodb_on_a_free_local_port_until_stopped() -> None:
    server = LocalDynamoDB()
    with server as endpoint_url:
        address = urllib.parse.urlsplit(endpoint_url)
        assert (address.scheme, address.hostname) == ("http", "127.0.0.1")
        assert address.port and address.port > 0
        store = DynamoDBStore("local", endpoint_url=endpoint_url, region="us-east-1")
        ensure_table(store)
        store.put(Key("p", "s"), "stored")
        assert store.get(Key("p", "s")).value == "stored"  # type: ignore[union-attr]

        server.reset()
        assert store.client.list_tables()["TableNames"] == []

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address.hostname, address.port), 1).close()
    assert logging.getLogger("werkzeug").level >= logging.WARNING


def test_the_fixture_yields_the_endpoint_and_only_fake_credentials(moto_dynamodb: str) -> None:
    assert moto_dynamodb.startswith("http://127.0.0.1:")
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in os.environ
