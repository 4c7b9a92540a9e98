"""pytest plugin (registered as `faasgi`): fixtures for testing functions the way the
platforms call them. Imports nothing heavy until a fixture is used."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from faasgi.testing import FaasClient


@pytest.fixture
def faas_client() -> Iterator[Callable[..., FaasClient]]:
    """A factory: `faas_client(handler, source="aws-http")`; handlers are shut down after."""
    made: list[FaasClient] = []

    def make(handler: Any, source: str = "aws-http", **options: Any) -> FaasClient:
        client = FaasClient(handler, source, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        shutdown = getattr(client.handler, "shutdown", None)
        if shutdown is not None:
            shutdown()


#: Credentials and region the `moto_dynamodb` fixture sets, so no test can reach real AWS.
_MOTO_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_dynamodb() -> Iterator[str]:
    """A moto DynamoDB server on 127.0.0.1 for the whole test session; yields its endpoint URL.

    Sets fake AWS credentials and AWS_DEFAULT_REGION (above) for the session, so every
    boto3 client, in this process and in child processes, signs with them; sets no endpoint
    (`mock_aws` tests in the same run must not be sent to the server): pass the URL to
    clients, or as AWS_ENDPOINT_URL_DYNAMODB to child processes.
    """
    from faasgi.local.dynamodb import LocalDynamoDB  # moto only for runs that use it

    with pytest.MonkeyPatch.context() as patch:
        for name, value in _MOTO_ENVIRONMENT.items():
            patch.setenv(name, value)
        with LocalDynamoDB() as endpoint_url:
            yield endpoint_url
