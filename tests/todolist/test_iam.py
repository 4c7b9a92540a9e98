"""The deploy template's IAM policy against what the todo list really does: every DynamoDB
call the app makes through a whole visit (register, log in twice, every todo operation,
the original single-endpoint form, log out), recorded on its client, maps to an action
the template allows on that table, and the template allows nothing the app never uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from examples.todolist.backend import Backend
from examples.todolist.store import TodoStore
from faasgi import serverless
from faasgi.state import DynamoDBStore, Sessions
from faasgi.state.dynamodb import dynamodb_client
from faasgi.testing import FaasClient

from .conftest import FAST_SCRYPT_N, FRAMEWORKS, PASSWORD, REPOSITORY, SECRET, Tables, unique

pytestmark = pytest.mark.slow

SAM_TEMPLATE = REPOSITORY / "adapters" / "aws-lambda" / "template.yaml"
#: The IAM action each write of a TransactWriteItems needs (there is no action of its own).
TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


class _CloudFormation(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, !Sub) read as plain values."""


_CloudFormation.add_multi_constructor(
    "!",
    lambda loader, tag, node: (
        loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    ),
)


def allowed_actions() -> dict[str, set[str]]:
    """Table resource ("TodoTable", "SessionTable") -> the actions the template allows."""
    template = yaml.load(SAM_TEMPLATE.read_text(), Loader=_CloudFormation)
    statements = template["Resources"]["TodoFunction"]["Properties"]["Policies"][0]["Statement"]
    allowed: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        table = statement["Resource"].removesuffix(".Arn")
        allowed.setdefault(table, set()).update(statement["Action"])
    return allowed


def recording_client(tables: Tables, calls: list[tuple[str, str]]) -> Any:
    """A DynamoDB client that notes (table, IAM action) for every call it makes."""
    client = dynamodb_client(endpoint_url=tables.endpoint_url, region="us-east-1")

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        operation = model.name
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                ((kind, request),) = item.items()
                calls.append((request["TableName"], "dynamodb:" + TRANSACTION_ACTIONS[kind]))
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    kind = "PutItem" if "PutRequest" in request else "DeleteItem"
                    calls.append((table, "dynamodb:" + kind))
        else:
            calls.append((params["TableName"], "dynamodb:" + operation))

    client.meta.events.register("before-parameter-build.dynamodb", record)
    return client


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_the_template_allows_exactly_what_the_app_does(
    dynamodb_tables: Tables, framework: str
) -> None:
    calls: list[tuple[str, str]] = []
    client = recording_client(dynamodb_tables, calls)
    todo_store = DynamoDBStore(dynamodb_tables.todos, client=client)
    session_store = DynamoDBStore(dynamodb_tables.sessions, client=client)
    backend = Backend(
        TodoStore(todo_store, scrypt_n=FAST_SCRYPT_N), Sessions(session_store, secret=SECRET)
    )
    create_app: Callable[[Backend], Any] = FRAMEWORKS[framework]
    handler = serverless(lambda: create_app(backend))
    visitor = FaasClient(handler)
    user = unique("iam")
    credentials = {"userName": user, "password": PASSWORD}
    try:
        assert visitor.post("/api/register", json=credentials).status_code == 200
        assert visitor.post("/api/login/account", json=credentials).status_code == 200
        assert visitor.post("/api/login/account", json=credentials).status_code == 200  # regenerate
        assert visitor.get("/api/currentUser").status_code == 200
        todo = visitor.post("/api/rule", json={"name": "one"}).json()
        other = visitor.post("/api/rule", json={"method": "post", "name": "two"}).json()
        assert visitor.get("/api/rule", params={"current": 1, "pageSize": 1}).status_code == 200
        patch = {"key": todo["key"], "status": "2"}
        assert visitor.put("/api/rule", json=patch).status_code == 200
        versioned = {"key": todo["key"], "name": "uno", "version": 2}
        assert visitor.put("/api/rule", json=versioned).status_code == 200
        legacy = {"method": "update", "key": other["key"], "desc": "d"}
        assert visitor.post("/api/rule", json=legacy).status_code == 200
        assert visitor.delete("/api/rule", json={"key": [todo["key"]]}).status_code == 200
        gone = {"method": "delete", "key": [other["key"]]}
        assert visitor.post("/api/rule", json=gone).status_code == 200
        assert visitor.post("/api/logout").status_code == 200
    finally:
        handler.shutdown()
    names = {dynamodb_tables.todos: "TodoTable", dynamodb_tables.sessions: "SessionTable"}
    used: dict[str, set[str]] = {}
    for table, action in calls:
        used.setdefault(names[table], set()).add(action)
    assert used == allowed_actions()
