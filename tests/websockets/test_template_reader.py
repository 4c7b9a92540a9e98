"""How `faasgi serve --template` reads a plain AWS::ApiGatewayV2 WebSocket API: routes
through their integrations to functions, the `$connect` route's REQUEST authorizer, the
stage, and one line for what it cannot serve. Property names from CloudFormation's
AWS::ApiGatewayV2::Api/Route/Integration/Authorizer/Stage reference pages."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("samtranslator")
pytest.importorskip("yaml")

from faasgi.local.template import load_project

LAMBDA_URI = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions"
TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Chat:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.chat, Runtime: python3.12}
  Gate:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.gate, Runtime: python3.12, FunctionName: gatekeeper}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: chat, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.kind}
  ChatIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub LAMBDA_URI/${Chat.Arn}/invocations
  Elsewhere:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: HTTP_PROXY, IntegrationUri: https://example.com}
  GateAuthorizer:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      AuthorizerType: REQUEST
      AuthorizerUri: !Sub LAMBDA_URI/${Gate.Arn}/invocations
      IdentitySource: [route.request.header.Auth]
      Name: gate
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $connect
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref GateAuthorizer
      Target: !Sub integrations/${ChatIntegration}
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: send, Target: !Sub "integrations/${ChatIntegration}"}
  Proxy:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: $default, Target: !Sub "integrations/${Elsewhere}"}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: prod}
"""


def test_a_plain_websocket_api_is_read_route_by_route(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE.replace("LAMBDA_URI", LAMBDA_URI))
    project = load_project(str(tmp_path / "template.yaml"))
    (api,) = project.websocket_apis
    assert (api.name, api.route_selection, api.stage) == ("Api", "$request.body.kind", "prod")
    assert api.routes == {"$connect": "Chat", "send": "Chat"}
    assert (api.authorizer, api.identity) == ("gatekeeper", ("route.request.header.Auth",))
    assert project.not_emulated == ["Api route $default: its target is not a function here"]
