"""Read a SAM template into the emulator's model.

Runs only aws-sam-translator's `GlobalsPlugin` and its `IntrinsicsResolver`, as SAM CLI
does for `sam local` (`SamTranslatorWrapper.run_plugins` in aws/aws-sam-cli
samcli/lib/samlib/wrapper.py), rather than the full translation to CloudFormation: the
full translator needs IAM's managed-policy list (a network call, or a bundled copy),
rewrites CodeUri to S3 and turns routes into OpenAPI documents, losing the local meaning
that the emulator needs. The SAM resources themselves are read here, property by
property, with SAM's documented defaults.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from faasgi.local.template.code import CodeNotLocal, code_folder
from faasgi.local.template.intrinsics import ACCOUNT, Resolver, Unresolved, pseudo_parameters
from faasgi.local.template.model import AsyncConfig, Function, Project, Route, split_handler
from faasgi.local.template.sam_apis import read_apis, read_tables
from faasgi.local.template.sam_events import read_dead_letter, read_s3, read_schedule, read_sns
from faasgi.local.template.websocket_apis import read_websocket_apis

FUNCTION = "AWS::Serverless::Function"
#: Event types served over HTTP; Schedule, S3 and SNS types are read for the async engine.
HTTP_EVENTS = ("Api", "HttpApi")
SCHEDULE_EVENTS = ("Schedule", "ScheduleV2")
ASYNC_SOURCES = {"S3": read_s3, "SNS": read_sns}


class TemplateError(Exception):
    """The template cannot be read: one line for the user."""


def parse_yaml(text: str) -> Any:
    """YAML with CloudFormation's short tags (`!Ref`, `!Sub`) as their long form, by the
    translator's own constructor, on a loader of our own (yaml_helper.yaml_parse would
    register it on PyYAML's SafeLoader for the whole process)."""
    import yaml
    from samtranslator.yaml_helper import intrinsics_multi_constructor

    class Loader(yaml.SafeLoader):  # type: ignore[misc]
        pass

    Loader.add_multi_constructor("!", intrinsics_multi_constructor)
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        raise TemplateError(f"not YAML: {error}") from None


def local_names(resources: dict[str, Any], region: str) -> tuple[dict[str, str], dict[str, str]]:
    """What `Ref` and `Fn::GetAtt` give for each resource locally: (refs, attributes)."""
    refs: dict[str, str] = {"ServerlessRestApi": "ServerlessRestApi"}
    refs["ServerlessHttpApi"] = "ServerlessHttpApi"
    attributes: dict[str, str] = {}
    prefix = f"{region}:{ACCOUNT}"
    for logical, resource in resources.items():
        kind = resource.get("Type", "") if isinstance(resource, dict) else ""
        props = (resource.get("Properties") or {}) if isinstance(resource, dict) else {}
        named = next(
            (
                props[key]
                for key in (
                    "FunctionName",
                    "TableName",
                    "Name",
                    "BucketName",
                    "TopicName",
                    "QueueName",
                )
                if isinstance(props.get(key), str)
            ),
            None,
        )
        name = named if isinstance(named, str) else logical
        if kind in (FUNCTION, "AWS::Lambda::Function"):
            refs[logical] = name
            attributes[f"{logical}.Arn"] = f"arn:aws:lambda:{prefix}:function:{name}"
        elif kind in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
            refs[logical] = name
            attributes[f"{logical}.Arn"] = f"arn:aws:dynamodb:{prefix}:table/{name}"
        elif kind == "AWS::SecretsManager::Secret":
            refs[logical] = f"arn:aws:secretsmanager:{prefix}:secret:{name}"
        elif kind == "AWS::SQS::Queue":
            refs[logical] = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"
            attributes[f"{logical}.Arn"] = f"arn:aws:sqs:{prefix}:{name}"
            attributes[f"{logical}.QueueName"] = name
        elif kind == "AWS::SNS::Topic":
            refs[logical] = f"arn:aws:sns:{prefix}:{name}"
            attributes[f"{logical}.TopicName"] = name
        elif kind == "AWS::S3::Bucket":
            # A bucket's name is lower case; CloudFormation would generate one from the
            # stack and logical id, locally the logical id will do.
            bucket = name if named else logical.lower()
            refs[logical] = bucket
            attributes[f"{logical}.Arn"] = f"arn:aws:s3:::{bucket}"
        else:
            refs[logical] = logical
    return refs, attributes


def parameter_values(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    declared = template.get("Parameters") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"--parameter-overrides names no parameter of the template: {unknown}")
    values = {}
    for name, spec in declared.items():
        if name in overrides:
            values[name] = overrides[name]
        elif isinstance(spec, dict) and "Default" in spec:
            values[name] = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no Default: give --parameter-overrides")
    return values


def read_sam(
    path: Path, template: dict[str, Any], overrides: dict[str, str], region: str
) -> Project:
    project = Project(str(path), "sam")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("a SAM template needs a Resources section")
    implicit_globals = copy.deepcopy(template.get("Globals") or {})
    _apply_globals(template)
    stack = path.parent.name or "local"
    refs, attributes = local_names(resources, region)
    refs = {**refs, **pseudo_parameters(region, stack), **parameter_values(template, overrides)}
    resolver = Resolver(refs, attributes)
    apis = read_apis(resources, implicit_globals, resolver, project)
    for logical, resource in resources.items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind == FUNCTION:
            function = _function(path.parent, logical, resource, resolver, apis, project)
            if function is not None:
                project.functions[function.name] = function
        elif kind == "AWS::Lambda::Function":
            project.not_emulated.append(f"{logical}: AWS::Lambda::Function (use a SAM function)")
    project.tables.extend(read_tables(resources, resolver, project))
    project.websocket_apis = read_websocket_apis(resources, resolver, project)
    for reference in resolver.generated:
        project.notes.append(f"{reference} -> a value generated for this run")
    return project


def _apply_globals(template: dict[str, Any]) -> None:
    """Merge Globals into the resources with the translator's own `Globals` (what its
    GlobalsPlugin does, without the plugin's timing metrics, which complain on exit when
    nobody publishes them)."""
    from samtranslator.model.exceptions import (
        InvalidDocumentException,
        InvalidResourceAttributeTypeException,
    )
    from samtranslator.plugins.globals.globals import Globals, InvalidGlobalsSectionException
    from samtranslator.public.sdk.template import SamTemplate

    try:
        merged = Globals(template)
        sam = SamTemplate(template)
        for logical, resource in sam.iterate():
            resource.properties = merged.merge(
                str(resource.type), resource.properties, logical, resource.ignore_globals
            )
            sam.set(logical, resource)
    except (InvalidGlobalsSectionException, InvalidResourceAttributeTypeException) as error:
        raise TemplateError(f"Globals: {error}") from None
    except InvalidDocumentException as error:
        causes = "; ".join(str(cause) for cause in getattr(error, "causes", []))
        raise TemplateError(f"Globals: {causes or error}") from None
    Globals.del_section(template)


def _function(
    base: Path,
    logical: str,
    resource: dict[str, Any],
    resolver: Resolver,
    apis: dict[str, Any],
    project: Project,
) -> Function | None:
    props = resource.get("Properties") or {}
    skipped = project.not_emulated

    def value(key: str, default: Any = None) -> Any:
        try:
            found = resolver.value(props.get(key, default))
        except Unresolved as error:
            skipped.append(f"{logical}.{key}: {error}")
            return default
        return default if found is None else found

    name = value("FunctionName") or logical
    if props.get("PackageType") == "Image":
        skipped.append(f"{logical}: a container image function (runs only in Docker)")
        return None
    runtime = str(value("Runtime", ""))
    if not runtime.startswith("python"):
        skipped.append(f"{logical}: runtime {runtime or '(none)'} (faasgi runs Python functions)")
        return None
    if "InlineCode" in props:
        skipped.append(f"{logical}: InlineCode (give CodeUri)")
        return None
    try:
        handler = split_handler(str(value("Handler", "")))
        code_dir, note = code_folder(base, value("CodeUri"), handler)
    except (ValueError, CodeNotLocal) as error:
        skipped.append(f"{logical}: {error}")
        return None
    if note:
        project.notes.append(f"{logical}: {note}")
    environment = {}
    for key, raw in ((props.get("Environment") or {}).get("Variables") or {}).items():
        try:
            environment[key] = str(resolver.value(raw))
        except Unresolved as error:
            skipped.append(f"{logical} environment {key}: {error}; left unset")
    if "AWS_LAMBDA_EXEC_WRAPPER" in environment:
        skipped.append(
            f"{name}: AWS_LAMBDA_EXEC_WRAPPER (Lambda's bootstrap runs it; locally the "
            "instance is faasgi's worker)"
        )
    for key in ("Layers", "VpcConfig", "FileSystemConfigs", "SnapStart"):
        if props.get(key):
            skipped.append(f"{logical}.{key}")
    function = Function(
        name=name,
        handler=handler,
        code_dir=code_dir,
        platform="aws",
        runtime=runtime,
        timeout=float(value("Timeout", 3)),  # SAM's default, docs of AWS::Serverless::Function
        memory=int(value("MemorySize", 128)),
        environment=environment,
    )
    try:
        dead_letter = {"DeadLetterQueue": resolver.value(props.get("DeadLetterQueue"))}
        read_dead_letter(logical, dead_letter, function, project)
    except Unresolved as error:
        skipped.append(f"{logical}.DeadLetterQueue: {error}")
    for event_name, event in (props.get("Events") or {}).items():
        _event(logical, event_name, event, function, resolver, apis, project)
    url = props.get("FunctionUrlConfig")
    if isinstance(url, dict):
        if url.get("AuthType") == "AWS_IAM":
            skipped.append(f"{logical} Function URL: AuthType AWS_IAM (IAM is not emulated; open)")
        if url.get("InvokeMode") == "RESPONSE_STREAM":
            skipped.append(f"{logical} Function URL: InvokeMode RESPONSE_STREAM (buffered)")
        function.routes.append(Route("url", f"{name}-url", "ANY", "$default"))
    config = props.get("EventInvokeConfig")
    if isinstance(config, dict):
        destinations = config.get("DestinationConfig") or {}
        function.async_config = AsyncConfig(
            max_retries=config.get("MaximumRetryAttempts"),
            max_event_age=config.get("MaximumEventAgeInSeconds"),
            on_success=_destination(logical, destinations.get("OnSuccess"), resolver, project),
            on_failure=_destination(logical, destinations.get("OnFailure"), resolver, project),
        )
    return function


def _destination(logical: str, raw: Any, resolver: Resolver, project: Project) -> str | None:
    """A destination's ARN; None (and said so) when it is known only in the cloud."""
    if not isinstance(raw, dict):
        return None
    try:
        found = resolver.value(raw.get("Destination"))
    except Unresolved as error:
        project.not_emulated.append(f"{logical} EventInvokeConfig destination: {error}")
        return None
    if found is None:  # SAM creates the queue or topic itself when none is named
        project.not_emulated.append(
            f"{logical} EventInvokeConfig: a {raw.get('Type', '?')} destination SAM creates"
        )
        return None
    return str(found)


def _event(
    logical: str,
    event_name: str,
    event: Any,
    function: Function,
    resolver: Resolver,
    apis: dict[str, Any],
    project: Project,
) -> None:
    kind = event.get("Type") if isinstance(event, dict) else None
    props = resolver.value(event.get("Properties") or {}) if kind else {}
    where = f"{logical} event {event_name}"
    if kind in SCHEDULE_EVENTS:
        region = resolver.value({"Ref": "AWS::Region"})
        function.schedules.append(
            read_schedule(logical, event_name, kind, props, str(region), project)
        )
        return
    if kind in ASYNC_SOURCES:
        source = ASYNC_SOURCES[kind](where, event_name, props, project)
        if source is not None:
            function.sources.append(source)
        return
    if kind not in HTTP_EVENTS:
        project.not_emulated.append(f"{where}: {kind} events (invoke it on the invoke port)")
        return
    api_kind = "rest" if kind == "Api" else "http"
    default_api = "ServerlessRestApi" if api_kind == "rest" else "ServerlessHttpApi"
    api_id = props.get("RestApiId" if api_kind == "rest" else "ApiId") or default_api
    api = apis.get(str(api_id)) or apis[default_api]
    auth = props.get("Auth") or {}
    authorizer = auth.get("Authorizer", api.default_authorizer)
    if authorizer == "AWS_IAM":
        project.not_emulated.append(f"{where}: AWS_IAM authorization (IAM is not emulated; open)")
        authorizer = None
    elif authorizer == "NONE":
        authorizer = None
    elif authorizer is not None:
        authorizer = f"{api.name}.{authorizer}"
        if authorizer not in project.authorizers:
            project.not_emulated.append(f"{where}: authorizer {authorizer} (open)")
            authorizer = None
    scopes = auth.get("AuthorizationScopes") or (
        api.scopes.get(authorizer, ()) if authorizer else ()
    )
    path, method = props.get("Path"), props.get("Method")
    if api_kind == "http" and path is None and method is None:
        path, method = "$default", "ANY"
    elif not path or not method:
        project.not_emulated.append(f"{where}: no Path or Method")
        return
    method = str(method).upper()
    route = Route(
        api_kind,
        api.name,
        "ANY" if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method,
        str(path),
        api.stage,
        str(props.get("PayloadFormatVersion", "2.0")) if api_kind == "http" else "1.0",
        authorizer,
        tuple(str(scope) for scope in scopes),
    )
    function.routes.append(route)


__all__ = ["TemplateError", "local_names", "parameter_values", "parse_yaml", "read_sam"]
