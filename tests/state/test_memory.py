"""The memory backend (faasgi/state/memory.py): it must say so when it serves a deployed
function, where each copy would keep its own data."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from faasgi import serverless
from faasgi.state import Key, MemoryStore
from faasgi.state.memory import MemoryStoreWarning
from faasgi.testing import FaasClient


def test_no_warning_outside_a_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("FC_FUNCTION_NAME", raising=False)
    store = MemoryStore()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store.put(Key("p", "s"), 1)


@pytest.mark.parametrize("variable", ["AWS_LAMBDA_FUNCTION_NAME", "FC_FUNCTION_NAME"])
def test_warns_once_in_a_platform_function(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "todo-api")
    store = MemoryStore()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store.put(Key("p", "s"), 1)
        store.get(Key("p", "s"))
        store.query("p")

    assert [w.category for w in caught] == [MemoryStoreWarning]
    assert "each copy of the function" in str(caught[0].message)


def test_warns_once_when_serving_invocations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    store = MemoryStore()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        item = store.update(Key("hits", "all"), lambda n: (n or 0) + 1)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(item.value if item else 0).encode()]

    client = FaasClient(serverless(app))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answers = [client.get("/").text, client.get("/").text]

    assert answers == ["1", "2"]
    assert [w.category for w in caught] == [MemoryStoreWarning]
