"""The SAM template's WebSocket API (adapters/aws-lambda/template.yaml): every route of
API Gateway's three kinds reaches the FastAPI function through one Lambda proxy
integration, which API Gateway may invoke, and the function may post to (and close) the
connections of that API only. (tests/test_package.py runs cfn-lint on the template.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

SAM_TEMPLATE = Path(__file__).resolve().parents[2] / "adapters" / "aws-lambda" / "template.yaml"


class _CloudFormation(yaml.SafeLoader):  # type: ignore[name-defined,misc]
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, !Sub) read as plain values."""


_CloudFormation.add_multi_constructor(
    "!",
    lambda loader, tag, node: (
        loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    ),
)


def resources() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(SAM_TEMPLATE.read_text(), Loader=_CloudFormation)
    return loaded["Resources"]  # type: ignore[no-any-return]


def test_websocket_api_routes_connect_disconnect_and_messages_to_the_function() -> None:
    found = resources()
    api = found["LiveWebSocketApi"]
    assert api["Type"] == "AWS::ApiGatewayV2::Api"
    assert api["Properties"]["ProtocolType"] == "WEBSOCKET"
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]["Target"]
        for r in found.values()
        if r["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert routes == dict.fromkeys(
        ("$connect", "$disconnect", "$default"), "integrations/${LiveIntegration}"
    )
    integration = found["LiveIntegration"]["Properties"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert "${TodoLiveFunction.Arn}" in integration["IntegrationUri"]
    deployment = found["LiveDeployment"]
    assert set(deployment["DependsOn"]) == {
        "LiveConnectRoute",
        "LiveDisconnectRoute",
        "LiveDefaultRoute",
    }
    assert found["LiveStage"]["Properties"]["DeploymentId"] == "LiveDeployment"
    permission = found["LiveInvokePermission"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["FunctionName"] == "TodoLiveFunction"


def test_the_live_function_is_the_fastapi_app_with_its_registry_and_manage_connections() -> None:
    function = resources()["TodoLiveFunction"]["Properties"]
    assert function["Handler"] == "examples.todolist.fastapi_app.handler"
    variables = function["Environment"]["Variables"]
    assert variables["FAASGI_WEBSOCKET_TABLE"] == "ConnectionTable"
    assert variables["TODO_LIVE_URL"].endswith("/live")  # the stage's name
    assert resources()["LiveStage"]["Properties"]["StageName"] == "live"
    statements = {s["Sid"]: s for s in function["Policies"][0]["Statement"]}
    manage = statements["PostToConnections"]
    assert manage["Action"] == "execute-api:ManageConnections"
    assert "${LiveWebSocketApi}/" in manage["Resource"] and manage["Resource"].endswith(
        "/@connections/*"
    )
    assert statements["ConnectionItems"]["Resource"] == "ConnectionTable.Arn"
    table = resources()["ConnectionTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
