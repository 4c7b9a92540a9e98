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
