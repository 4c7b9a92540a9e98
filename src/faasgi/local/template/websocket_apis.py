"""A SAM template's API Gateway WebSocket APIs under `faasgi serve --template`: read both
`AWS::Serverless::WebSocketApi` (RouteSelectionExpression, Routes{key: {FunctionArn}},
Auth{AuthType: CUSTOM, AuthArn, IdentitySource}, StageName "default": aws-sam-translator's
schema_source/aws_serverless_websocketapi.py and websocket_api_generator.py) and the plain
`AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET` and its `Route`s, `Integration`s
and `Authorizer`s
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigatewayv2-api.html).
Each route key reaches its function's pool; the first such API is served on the API port
(`--port`), as `faasgi serve MODULE:HANDLER` serves its one.

The `$connect` Lambda REQUEST authorizer: identity sources
`route.request.header.X` / `route.request.querystring.X`; a missing one is refused 401
without calling the authorizer; the authorizer gets a `REQUEST` event with `methodArn` and
answers with an IAM policy (and a `context`), as REST APIs' do
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from faasgi.local.template.intrinsics import ACCOUNT, Resolver, Unresolved
from faasgi.local.template.model import Project

WEBSOCKET_API = "AWS::Serverless::WebSocketApi"
_ARN = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.Arn)?\}")


@dataclass(slots=True)
class WebSocketApi:
    name: str
    route_selection: str
    stage: str
    #: route key -> the function's name in `Project.functions`
    routes: dict[str, str] = field(default_factory=dict)
    #: the `$connect` authorizer's function and identity sources; None: open
    authorizer: str | None = None
    identity: tuple[str, ...] = ()


def read_websocket_apis(
    resources: dict[str, Any], resolver: Resolver, project: Project
) -> list[WebSocketApi]:
    names = _function_names(resources, resolver)
    found: list[WebSocketApi] = []
    for logical, resource in resources.items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        props = (resource.get("Properties") or {}) if isinstance(resource, dict) else {}
        if kind == WEBSOCKET_API:
            found.append(_serverless(logical, props, resolver, names, project))
        elif kind == "AWS::ApiGatewayV2::Api" and props.get("ProtocolType") == "WEBSOCKET":
            found.append(_plain(logical, props, resources, resolver, names, project))
    for api in found[1:]:
        project.not_emulated.append(f"{api.name}: a second WebSocket API (one per port here)")
    return found


def _serverless(
    logical: str, props: dict[str, Any], resolver: Resolver, names: dict[str, str], project: Project
) -> WebSocketApi:
    api = WebSocketApi(
        logical,
        str(_value(resolver, props.get("RouteSelectionExpression"), "$request.body.action")),
        str(_value(resolver, props.get("StageName"), "default")),
    )
    for key, route in (props.get("Routes") or {}).items():
        target = _function(route.get("FunctionArn") if isinstance(route, dict) else None, names)
        _add_route(api, str(key), target, project)
    auth = props.get("Auth") or {}
    if auth.get("AuthType") == "CUSTOM":
        _add_authorizer(api, auth.get("AuthArn"), auth.get("IdentitySource"), names, project)
    elif auth.get("AuthType") == "AWS_IAM":
        project.not_emulated.append(f"{logical}: AWS_IAM auth on $connect (not checked)")
    return api


def _plain(
    logical: str,
    props: dict[str, Any],
    resources: dict[str, Any],
    resolver: Resolver,
    names: dict[str, str],
    project: Project,
) -> WebSocketApi:
    api = WebSocketApi(
        logical,
        str(_value(resolver, props.get("RouteSelectionExpression"), "$request.body.action")),
        "$default",
    )
    for resource in resources.values():
        if not isinstance(resource, dict) or not _refers(resource, logical):
            continue
        kind, own = resource.get("Type"), resource.get("Properties") or {}
        if kind == "AWS::ApiGatewayV2::Stage":
            api.stage = str(_value(resolver, own.get("StageName"), api.stage))
        elif kind == "AWS::ApiGatewayV2::Route":
            integration = resources.get(_logical(own.get("Target")) or "") or {}
            uri = (integration.get("Properties") or {}).get("IntegrationUri")
            _add_route(api, str(own.get("RouteKey")), _function(uri, names), project)
            if own.get("AuthorizationType") == "CUSTOM":
                spec = resources.get(_logical(own.get("AuthorizerId")) or "") or {}
                spec = spec.get("Properties") or {}
                _add_authorizer(
                    api, spec.get("AuthorizerUri"), spec.get("IdentitySource"), names, project
                )
    return api


def _add_route(api: WebSocketApi, key: str, function: str | None, project: Project) -> None:
    if function is None or function not in project.functions:
        project.not_emulated.append(f"{api.name} route {key}: its target is not a function here")
        return
    api.routes[key] = function


def _add_authorizer(
    api: WebSocketApi, arn: Any, identity: Any, names: dict[str, str], project: Project
) -> None:
    function = _function(arn, names)
    if function is None or function not in project.functions:
        project.not_emulated.append(f"{api.name}: its $connect authorizer is not a function here")
        return
    api.authorizer = function
    sources = [identity] if isinstance(identity, str) else list(identity or ())
    api.identity = tuple(str(s) for s in sources)


def _function_names(resources: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    """Logical id -> function name, for `!GetAtt Fn.Arn` / `${Fn.Arn}` targets."""
    names = {}
    for logical, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::Function":
            named = (resource.get("Properties") or {}).get("FunctionName")
            names[logical] = str(_value(resolver, named, logical))
    return names


def _function(raw: Any, names: dict[str, str]) -> str | None:
    logical = _logical(raw)
    return names.get(logical or "")


def _logical(raw: Any) -> str | None:
    """The resource an intrinsic names: `!Ref X`, `!GetAtt X.Arn`, `!Sub ...${X.Arn}...`."""
    if isinstance(raw, dict) and len(raw) == 1:
        ((name, argument),) = raw.items()
        if name == "Ref" and isinstance(argument, str):
            return argument
        if name == "Fn::GetAtt":
            parts = argument.split(".") if isinstance(argument, str) else argument
            return str(parts[0]) if parts else None
        if name == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) else argument
            found = _ARN.findall(str(text))
            return next((item for item in found if not item.startswith("AWS")), None)
    return None


def _refers(resource: dict[str, Any], api: str) -> bool:
    return _logical((resource.get("Properties") or {}).get("ApiId")) == api


def _value(resolver: Resolver, raw: Any, default: Any) -> Any:
    if raw is None:
        return default
    try:
        found = resolver.value(raw)
    except Unresolved:
        return default
    return default if found is None else found


class ConnectAuthorizer:
    """The `$connect` Lambda REQUEST authorizer of `api`, calling `invoke(name, id, event)`."""

    def __init__(self, api: WebSocketApi, invoke: Any) -> None:
        self.api = api
        self.invoke = invoke

    async def __call__(
        self, headers: list[tuple[str, str]], query: dict[str, list[str]], connection_id: str
    ) -> tuple[int, dict[str, Any] | None]:
        from faasgi.events import aws_websocket
        from faasgi.local.authorizers import _policy_allows

        values = [_identity(source, headers, query) for source in self.api.identity]
        if any(value is None for value in values):
            return 401, None
        info = aws_websocket.Connection(
            connection_id=connection_id,
            domain_name="localhost",
            stage=self.api.stage,
            connected_at=int(time.time() * 1000),
            source_ip="127.0.0.1",
        )
        event = aws_websocket.build_event(
            info,
            "CONNECT",
            request_id=str(uuid.uuid4()),
            time_ms=info.connected_at,
            headers=headers,
            query=query,
        )
        arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{self.api.name}/{self.api.stage}/$connect"
        event.update(type="REQUEST", methodArn=arn)
        outcome = await self.invoke(
            self.api.authorizer, str(uuid.uuid4()), json.dumps(event).encode()
        )
        if outcome.failure == "error":
            message = json.loads(outcome.payload).get("errorMessage")
            return (401 if message == "Unauthorized" else 500), None
        try:
            answer = json.loads(outcome.payload) if outcome.failure is None else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return 500, None
        if not _policy_allows(answer.get("policyDocument"), arn):
            return 403, None
        return 200, {"principalId": answer.get("principalId"), **(answer.get("context") or {})}


def _identity(
    source: str, headers: list[tuple[str, str]], query: dict[str, list[str]]
) -> str | None:
    kind, _, name = source.rpartition(".")
    if kind.endswith("header"):
        value = next((v for k, v in headers if k.lower() == name.lower()), None)
    elif kind.endswith("querystring"):
        value = query[name][-1] if query.get(name) else None
    else:
        value = None
    return value or None


__all__ = ["ConnectAuthorizer", "WebSocketApi", "read_websocket_apis"]
