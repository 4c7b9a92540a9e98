"""docs/state.md: its Python examples run, in order, as one program (against moto's
in-process DynamoDB), and the handlers they define answer as the text says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faasgi.testing import FaasClient

DOC = Path(__file__).parents[2] / "docs" / "state.md"


@pytest.fixture(scope="module")
def examples() -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    namespace: dict[str, Any] = {"__name__": "docs_state"}
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("FAASGI_SESSION_SECRET", "what the deployment sets, 32 bytes or so")
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)
        yield namespace
        for name in ("flask_handler", "fastapi_handler", "wsgi_handler"):
            namespace[name].shutdown()


def test_the_store_examples_leave_what_they_say(examples: dict[str, Any]) -> None:
    store, key = examples["store"], examples["Key"]

    assert store.get(key("counters", "todos")).value == 1
    assert store.get(key("todos#alice", "todo#1")) is None
    assert store.get(key("users", "name#bob")).value == "user#2"


def test_the_flask_example_keeps_a_login(examples: dict[str, Any]) -> None:
    client = FaasClient(examples["flask_handler"])

    client.post("/login", json={"user": "alice"})

    assert client.get("/me").json() == {"user": "alice"}


@pytest.mark.parametrize("handler", ["fastapi_handler", "wsgi_handler"])
def test_the_middleware_examples_count_visits(examples: dict[str, Any], handler: str) -> None:
    client = FaasClient(examples[handler])
    path = "/visits" if handler == "fastapi_handler" else "/"

    answers = [client.get(path).content for _ in range(3)]

    assert [int(re.sub(rb"\D", b"", answer)) for answer in answers] == [1, 2, 3]
