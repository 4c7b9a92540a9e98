"""The APIs, authorizers and tables of a SAM template, for the emulator's model.

Defaults are SAM's documented ones: the implicit REST API is `ServerlessRestApi` with stage
`Prod`, the implicit HTTP API `ServerlessHttpApi` on `$default`
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-api.html,
.../sam-resource-httpapi.html); a REST Lambda authorizer is TOKEN on the Authorization
header, cached 300 s (.../sam-property-api-lambdatokenauthorizationidentity.html);
a SimpleTable's key is `id` (String) (.../sam-resource-simpletable.html).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faasgi.local.template.intrinsics import Resolver, Unresolved
from faasgi.local.template.model import Authorizer, Project


@dataclass(slots=True)
class Api:
    name: str
    kind: str  # "rest" or "http"
    stage: str
    default_authorizer: str | None = None
    #: Authorizer key -> its default AuthorizationScopes (HTTP API JWT).
    scopes: dict[str, tuple[str, ...]] = field(default_factory=dict)


def read_apis(
    resources: dict[str, Any], globals_: dict[str, Any], resolver: Resolver, project: Project
) -> dict[str, Api]:
    """Every API by logical id, the implicit ones included; their authorizers go into
    `project.authorizers` as "Api.Name"."""
    found: dict[str, Api] = {}
    declared = [
        ("ServerlessRestApi", "rest", {"StageName": "Prod", **(globals_.get("Api") or {})}),
        ("ServerlessHttpApi", "http", dict(globals_.get("HttpApi") or {})),
    ]
    for logical, resource in resources.items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind == "AWS::Serverless::Api":
            declared.append((logical, "rest", resource.get("Properties") or {}))
        elif kind == "AWS::Serverless::HttpApi":
            declared.append((logical, "http", resource.get("Properties") or {}))
        elif (
            kind == "AWS::ApiGatewayV2::Api"
            and (resource.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
        ):
            continue  # served: websocket_apis.py
        elif kind in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
            project.not_emulated.append(f"{logical}: {kind} (use AWS::Serverless::Api/HttpApi)")
    for logical, kind, raw in declared:
        try:
            props = resolver.value(raw)
        except Unresolved as error:
            project.not_emulated.append(f"{logical}: {error}")
            props = {}
        stage = str(props.get("StageName") or ("Prod" if kind == "rest" else "$default"))
        api = Api(logical, kind, stage)
        if props.get("DefinitionBody") or props.get("DefinitionUri"):
            project.not_emulated.append(f"{logical}: its OpenAPI definition (routes from Events)")
        if props.get("Cors") or props.get("CorsConfiguration"):
            project.not_emulated.append(
                f"{logical}: CORS (API Gateway answers preflights; here OPTIONS reaches the "
                "function)"
            )
        if (props.get("Auth") or {}).get("ApiKeyRequired") or props.get("UsagePlan"):
            project.not_emulated.append(f"{logical}: API keys and usage plans (not checked)")
        _read_auth(api, props.get("Auth") or {}, project)
        found[logical] = api
    return found


def _read_auth(api: Api, auth: dict[str, Any], project: Project) -> None:
    api.default_authorizer = auth.get("DefaultAuthorizer")
    if auth.get("EnableIamAuthorizer") or api.default_authorizer == "AWS_IAM":
        project.not_emulated.append(f"{api.name}: IAM authorization (not emulated; routes open)")
    if api.default_authorizer == "AWS_IAM":
        api.default_authorizer = None
    for name, spec in (auth.get("Authorizers") or {}).items():
        key = f"{api.name}.{name}"
        authorizer = _authorizer(key, api, spec)
        if authorizer is None:
            project.not_emulated.append(f"{key}: this kind of authorizer (routes open)")
            continue
        project.authorizers[key] = authorizer
        scopes = spec.get("AuthorizationScopes") or ()
        api.scopes[key] = tuple(str(scope) for scope in scopes)


def _authorizer(key: str, api: Api, spec: dict[str, Any]) -> Authorizer | None:
    jwt = spec.get("JwtConfiguration")
    if isinstance(jwt, dict):
        issuer = jwt.get("issuer") or jwt.get("Issuer") or ""
        audience = jwt.get("audience") or jwt.get("Audience") or []
        source = spec.get("IdentitySource") or "$request.header.Authorization"
        return Authorizer(
            key,
            "jwt",
            api.kind,
            identity=(str(source),),
            issuer=str(issuer),
            audience=tuple(str(a) for a in audience),
        )
    arn = spec.get("FunctionArn")
    if not arn:
        return None  # Cognito user pools, OAuth through IAM: not emulated
    function = str(arn).rsplit(":", 1)[-1]
    identity = spec.get("Identity") or {}
    ttl = int(identity.get("ReauthorizeEvery", 300))
    if api.kind == "http":
        sources = [f"$request.header.{h}" for h in identity.get("Headers") or ()]
        sources += [f"$request.querystring.{q}" for q in identity.get("QueryStrings") or ()]
        return Authorizer(
            key,
            "request",
            "http",
            identity=tuple(sources),
            function=function,
            payload=str(spec.get("AuthorizerPayloadFormatVersion", "2.0")),
            simple=bool(spec.get("EnableSimpleResponses", False)),
            ttl=ttl,
        )
    kind = str(spec.get("FunctionPayloadType", "TOKEN")).lower()
    if kind == "token":
        sources = [f"method.request.header.{identity.get('Header', 'Authorization')}"]
    else:
        sources = [f"method.request.header.{h}" for h in identity.get("Headers") or ()]
        sources += [f"method.request.querystring.{q}" for q in identity.get("QueryStrings") or ()]
    return Authorizer(
        key, kind, "rest", identity=tuple(sources), function=function, payload="1.0", ttl=ttl
    )


_SIMPLE_TYPES = {"String": "S", "Number": "N", "Binary": "B"}


def read_tables(
    resources: dict[str, Any], resolver: Resolver, project: Project
) -> list[dict[str, Any]]:
    """CreateTable requests (plus faasgi's own "TimeToLive" key) for the local DynamoDB."""
    tables: list[dict[str, Any]] = []
    for logical, resource in resources.items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind not in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
            continue
        try:
            props = resolver.value(resource.get("Properties") or {})
            name = str(resolver.value({"Ref": logical}))
        except Unresolved as error:
            project.not_emulated.append(f"{logical}: {error}")
            continue
        if kind == "AWS::Serverless::SimpleTable":
            key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
            attribute = str(key.get("Name", "id"))
            tables.append(
                {
                    "TableName": name,
                    "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
                    "AttributeDefinitions": [
                        {
                            "AttributeName": attribute,
                            "AttributeType": _SIMPLE_TYPES.get(key.get("Type", "String"), "S"),
                        }
                    ],
                    "BillingMode": "PAY_PER_REQUEST",
                }
            )
            continue
        request: dict[str, Any] = {"TableName": name, "BillingMode": "PAY_PER_REQUEST"}
        for field_name in (
            "KeySchema",
            "AttributeDefinitions",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
        ):
            if props.get(field_name):
                request[field_name] = props[field_name]
        for index in request.get("GlobalSecondaryIndexes", []):
            index.pop("ProvisionedThroughput", None)
        if "KeySchema" not in request or "AttributeDefinitions" not in request:
            project.not_emulated.append(f"{logical}: a table without KeySchema")
            continue
        ttl = props.get("TimeToLiveSpecification") or {}
        if ttl.get("Enabled") and ttl.get("AttributeName"):
            request["TimeToLive"] = str(ttl["AttributeName"])
        tables.append(request)
    return tables


__all__ = ["Api", "read_apis", "read_tables"]
