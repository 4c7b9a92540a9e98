"""Reading SAM templates: what each function runs, with which settings and routes. The
expected values are the templates' own text and SAM's documented defaults and Globals rules
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("samtranslator")

from faasgi.local.template import TemplateError, load_project
from faasgi.local.template.model import AsyncConfig, Route, Schedule

from .conftest import PROJECT

ROOT = Path(__file__).parents[3]


def test_the_todo_lists_template_runs_its_source_with_its_settings_and_tables() -> None:
    project = load_project(str(ROOT / "adapters/aws-lambda/template.yaml"))
    function = project.functions["TodoFunction"]
    # CodeUri names the zip `faasgi package` writes into PROJECT/dist: the code runs from
    # the project (the repository root), so --reload sees edits.
    assert function.code_dir == str(ROOT)
    assert function.handler == "examples.todolist.flask_app:handler"
    assert (function.timeout, function.memory, function.runtime) == (30, 512, "python3.12")
    http_routes = [r for r in function.routes if r.kind == "http"]
    assert [(r.method, r.path, r.payload) for r in http_routes] == [
        ("ANY", "/", "2.0"),
        ("ANY", "/{proxy+}", "2.0"),
    ]
    assert function.environment["TODO_TABLE"] == "TodoTable"
    assert function.environment["SESSION_TABLE"] == "SessionTable"
    # A Secrets Manager dynamic reference: a generated value, the same for every instance.
    secret = function.environment["FAASGI_SESSION_SECRET"]
    assert len(secret) >= 32 and "resolve" not in secret
    assert any("{{resolve:secretsmanager:" in note for note in project.notes)
    tables = {t["TableName"]: t for t in project.tables}
    assert set(tables) == {"TodoTable", "SessionTable", "ConnectionTable"}
    assert tables["TodoTable"]["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert tables["TodoTable"]["TimeToLive"] == "expires_at"
    # Only what the local pools cannot do: streaming answers, Lambda's exec wrapper; and
    # the live version's WebSocket API, whose HTTP API's routes share the port with the
    # first function's (docs/templates.md).
    assert all(
        "RESPONSE_STREAM" in line
        or "AWS_LAMBDA_EXEC_WRAPPER" in line
        or line.startswith("LiveWebSocketApi: AWS::ApiGatewayV2::Api")
        or "declared by TodoFunction and TodoLiveFunction" in line
        for line in project.not_emulated
    ), project.not_emulated


def test_globals_parameters_and_intrinsics_resolve_as_sam_documents() -> None:
    project = load_project(str(PROJECT / "template.yaml"), {"Greeting": "hi"})
    echo = project.functions["Echo"]
    # Globals: a primitive in the resource wins, maps merge key by key.
    assert echo.timeout == 10 and echo.memory == 256
    assert echo.environment["SHARED"] == "from-the-function"
    assert echo.environment["GREETING"] == "hi"  # !Ref Greeting, overridden
    assert echo.environment["TABLE"] == "Items"
    assert echo.environment["TABLE_ARN"] == "arn:aws:dynamodb:us-east-1:123456789012:table/Items"
    assert len(echo.environment["SECRET"]) >= 32  # {{resolve:ssm:...}}
    # QueueUrl is known only in the cloud: left unset, and said so.
    assert "QUEUE_URL" not in echo.environment
    assert any("QUEUE_URL" in line for line in project.not_emulated)
    # The Authorize function takes the Globals' timeout and SAM's default memory (128 MB).
    authorize = project.functions["Authorize"]
    assert (authorize.timeout, authorize.memory) == (10, 128)
    assert authorize.environment["GREETING"] == "hi"


def test_routes_authorizers_schedules_and_async_settings_are_read() -> None:
    project = load_project(str(PROJECT / "template.yaml"))
    echo = project.functions["Echo"]
    assert echo.routes == [
        Route("http", "ServerlessHttpApi", "GET", "/open/{id}", "$default", "2.0"),
        Route("http", "Api", "GET", "/jwt", "$default", "2.0", "Api.Jwt", ("todo.read",)),
        Route("rest", "Rest", "ANY", "/rest/{proxy+}", "dev", "1.0", "Rest.Token"),
        Route("url", "Echo-url", "ANY", "$default"),
    ]
    jwt_authorizer = project.authorizers["Api.Jwt"]
    assert (jwt_authorizer.kind, jwt_authorizer.issuer, jwt_authorizer.audience) == (
        "jwt",
        "https://issuer.example.com/",
        ("todo-app",),
    )
    token = project.authorizers["Rest.Token"]
    assert (token.kind, token.function, token.ttl, token.identity) == (
        "token",
        "Authorize",
        300,
        ("method.request.header.Authorization",),
    )
    assert echo.schedules == [
        Schedule("Nightly", "Schedule", "rate(1 day)", '{"job": "nightly"}', True)
    ]
    assert project.schedules() == [(echo.schedules[0], echo)]
    assert echo.async_config == AsyncConfig(1, 120, None, "arn:aws:sqs:us-east-1:123456789012:Jobs")
    assert any("event Queue: SQS events" in line for line in project.not_emulated)
    simple = next(t for t in project.tables if t["TableName"] == "Items")
    assert simple["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert simple["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]


def test_function_urls_iam_and_unrunnable_functions_are_listed(
    write: Callable[[str, str], Path],
) -> None:
    write("app.py", "def handler(event, context):\n    return {}\n")
    path = write(
        "template.yaml",
        """
Transform: AWS::Serverless-2016-10-31
Resources:
  Url:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: .
      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:x:1]
      FunctionUrlConfig:
        AuthType: AWS_IAM
  Node:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: .
  Remote:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/code.zip
""",
    )
    project = load_project(str(path))
    assert list(project.functions) == ["Url"]
    assert project.functions["Url"].routes == [Route("url", "Url-url", "ANY", "$default")]
    joined = "\n".join(project.not_emulated)
    for expected in ("AWS_IAM", "Url.Layers", "Node: runtime nodejs20.x", "Remote: its code"):
        assert expected in joined


def test_a_zip_built_by_faasgi_package_maps_back_to_its_project(
    write: Callable[[str, str], Path],
) -> None:
    write("project/shop/app.py", "def handler(event, context):\n    return {}\n")
    manifest = {"files": [{"path": "shop/app.py", "distribution": None}]}
    write("project/dist/shop.manifest.json", json.dumps(manifest))
    path = write(
        "deploy/template.yaml",
        """
Transform: AWS::Serverless-2016-10-31
Resources:
  Shop:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: shop.app.handler, CodeUri: ../project/dist/shop.zip}
""",
    )
    project = load_project(str(path))
    assert project.functions["Shop"].code_dir == str(path.parent.parent / "project")


def test_mistakes_are_one_clear_line(write: Callable[[str, str], Path]) -> None:
    no_default = "Parameters:\n  Stage: {Type: String}\nResources:\n  X: {Type: AWS::SQS::Queue}\n"
    with pytest.raises(TemplateError, match="parameter Stage has no Default"):
        load_project(str(write("a.yaml", no_default)))
    with pytest.raises(TemplateError, match="names no parameter"):
        load_project(str(PROJECT / "template.yaml"), {"Nope": "1"})
    with pytest.raises(TemplateError, match="not YAML"):
        load_project(str(write("b.yaml", "Resources: [unclosed\n")))
    with pytest.raises(TemplateError, match="cannot read"):
        load_project(str(PROJECT / "missing.yaml"))


def test_lambda_authorizers_of_both_api_types_are_read(write: Callable[[str, str], Path]) -> None:
    write("app.py", "def handler(event, context):\n    return {}\n")
    path = write(
        "template.yaml",
        """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, CodeUri: ., Handler: app.handler}
Resources:
  Gate:
    Type: AWS::Serverless::Function
  App:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Http:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /h, Method: GET}
        Rest:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /r, Method: GET}
        Open:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /open, Method: GET, Auth: {Authorizer: NONE}}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: !GetAtt Gate.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {Headers: [X-User], QueryStrings: [tenant], ReauthorizeEvery: 0}
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Cors: "'*'"
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: !GetAtt Gate.Arn
            FunctionPayloadType: REQUEST
            Identity: {Headers: [X-User]}
""",
    )
    project = load_project(str(path))
    http = project.authorizers["Http.Gate"]
    assert (http.kind, http.function, http.payload, http.simple, http.ttl) == (
        "request",
        "Gate",
        "2.0",
        True,
        0,
    )
    assert http.identity == ("$request.header.X-User", "$request.querystring.tenant")
    rest = project.authorizers["Rest.Gate"]
    assert (rest.kind, rest.identity, rest.ttl) == (
        "request",
        ("method.request.header.X-User",),
        300,
    )
    routes = {route.path: route for route in project.functions["App"].routes}
    # DefaultAuthorizer applies unless the event says NONE.
    assert routes["/h"].authorizer == "Http.Gate"
    assert routes["/r"].authorizer == "Rest.Gate"
    assert routes["/open"].authorizer is None
    assert any(line.startswith("Rest: CORS") for line in project.not_emulated)
