"""Read a Serverless Devs `s.yaml` (FC 3.0, `fc3` component) into the emulator's model.

The properties are those of devsapp/fc3's `src/interface/function.ts` and `trigger.ts`
(https://github.com/devsapp/fc3): `handler`, `runtime`, `code`, `environmentVariables`,
`timeout` (FC's default 3 s), `memorySize`, `instanceConcurrency`,
`instanceLifecycleConfig{initializer, preStop}`, `triggers` (http, timer) and
`asyncInvokeConfig`. Variables: `${vars.x}`, `${env('NAME', 'default')}` / `${env(NAME)}` /
`${env.NAME}`, and `${resources.r.props.x}`; actions (`pre-deploy` ...) never run.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from faasgi.local.template.code import CodeNotLocal, code_folder
from faasgi.local.template.model import (
    AsyncConfig,
    Function,
    Project,
    Route,
    Schedule,
    split_handler,
)

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ENV_CALL = re.compile(
    r"""env\(\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?\s*(?:,\s*['"](.*)['"]\s*)?\)"""
)


class Variables:
    """Evaluates `${...}` in s.yaml values; what cannot be evaluated is listed."""

    def __init__(self, document: dict[str, Any], environ: Mapping[str, str]) -> None:
        self.vars = document.get("vars") or {}
        self.resources = document.get("resources") or {}
        self.environ = environ
        #: "${env('X')}" -> value generated because X is not set.
        self.generated: dict[str, str] = {}
        self.unresolved: list[str] = []

    def value(self, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {key: self.value(item) for key, item in raw.items()}
        if isinstance(raw, list):
            return [self.value(item) for item in raw]
        if not isinstance(raw, str):
            return raw
        whole = _VARIABLE.fullmatch(raw.strip())
        if whole:  # a whole-value reference keeps the referenced value's type
            return self._lookup(whole.group(1).strip(), raw)
        return _VARIABLE.sub(lambda m: str(self._lookup(m.group(1).strip(), m.group(0))), raw)

    def _lookup(self, expression: str, original: str) -> Any:
        call = _ENV_CALL.fullmatch(expression)
        if call or expression.startswith("env."):
            name = call.group(1) if call else expression[4:]
            default = call.group(2) if call else None
            if name in self.environ:
                return self.environ[name]
            if default is not None:
                return default
            if original not in self.generated:
                self.generated[original] = secrets.token_urlsafe(32)
            return self.generated[original]
        parts = expression.split(".")
        if parts[0] == "vars":
            return self._walk(self.vars, parts[1:], original)
        if parts[0] == "resources":
            return self._walk(self.resources, parts[1:], original)
        self.unresolved.append(original)
        return ""

    def _walk(self, node: Any, path: list[str], original: str) -> Any:
        for part in path:
            if not isinstance(node, dict) or part not in node:
                self.unresolved.append(original)
                return ""
            node = node[part]
        return self.value(node)


def read_fc(path: Path, document: dict[str, Any], environ: Mapping[str, str]) -> Project:
    project = Project(str(path), "fc")
    resources = document.get("resources")
    if not isinstance(resources, dict) or not resources:
        raise ValueError("an s.yaml needs a resources section")
    variables = Variables(document, environ)
    for name, resource in resources.items():
        if not isinstance(resource, dict):
            continue
        component = str(resource.get("component", ""))
        if resource.get("actions"):
            project.notes.append(f"{name}: its actions (pre-deploy ...) do not run locally")
        if component not in ("fc3", "devsapp/fc3") and not component.startswith("fc3@"):
            project.not_emulated.append(f"{name}: component {component or '(none)'} (only fc3)")
            continue
        function = _function(
            path.parent, name, variables.value(resource.get("props") or {}), project
        )
        if function is not None:
            project.functions[function.name] = function
    for reference in variables.generated:
        project.notes.append(f"{reference} is not set -> a value generated for this run")
    for reference in dict.fromkeys(variables.unresolved):
        project.not_emulated.append(f"{reference}: not resolvable locally (left empty)")
    return project


def _function(
    base: Path, resource: str, props: dict[str, Any], project: Project
) -> Function | None:
    name = str(props.get("functionName") or resource)
    runtime = str(props.get("runtime", ""))
    skipped = project.not_emulated
    if not runtime.startswith("python"):
        skipped.append(f"{name}: runtime {runtime or '(none)'} (faasgi runs the built-in Python)")
        return None
    try:
        handler = split_handler(str(props.get("handler", "")))
        code_dir, note = code_folder(base, props.get("code"), handler)
    except (ValueError, CodeNotLocal) as error:
        skipped.append(f"{name}: {error}")
        return None
    if note:
        project.notes.append(f"{name}: {note}")
    hooks = props.get("instanceLifecycleConfig") or {}
    function = Function(
        name=name,
        handler=handler,
        code_dir=code_dir,
        platform="fc",
        runtime=runtime,
        timeout=float(props.get("timeout", 3)),
        memory=int(props.get("memorySize", 128)),
        environment={k: str(v) for k, v in (props.get("environmentVariables") or {}).items()},
        concurrency=int(props.get("instanceConcurrency", 1)),
        initializer=_hook(hooks.get("initializer")),
        pre_stop=_hook(hooks.get("preStop")),
    )
    for key in ("vpcConfig", "nasConfig", "ossMountConfig", "layers", "customContainerConfig"):
        if props.get(key):
            skipped.append(f"{name}.{key}")
    for trigger in props.get("triggers") or []:
        _trigger(name, trigger, function, project)
    config = props.get("asyncInvokeConfig")
    if isinstance(config, dict):
        destinations = config.get("destinationConfig") or {}
        function.async_config = AsyncConfig(
            max_retries=config.get("maxAsyncRetryAttempts"),
            max_event_age=config.get("maxAsyncEventAgeInSeconds"),
            on_success=(destinations.get("onSuccess") or {}).get("destination"),
            on_failure=(destinations.get("onFailure") or {}).get("destination"),
        )
    return function


def _hook(spec: Any) -> str | None:
    if not isinstance(spec, dict) or not spec.get("handler"):
        return None
    return split_handler(str(spec["handler"]))


def _trigger(name: str, trigger: Any, function: Function, project: Project) -> None:
    if not isinstance(trigger, dict):
        return
    kind = trigger.get("triggerType")
    label = trigger.get("triggerName") or kind
    config = trigger.get("triggerConfig") or {}
    if kind == "http":
        auth = config.get("authType", "anonymous")
        if auth != "anonymous":
            project.not_emulated.append(f"{name} trigger {label}: authType {auth} (open)")
        methods = [str(m).upper() for m in config.get("methods") or ["GET", "POST"]]
        for method in methods:
            function.routes.append(Route("fc", f"{name}-{label}", method, "$default", "", "1.0"))
    elif kind == "timer":
        function.schedules.append(
            Schedule(
                str(label),
                "fc-timer",
                str(config.get("cronExpression", "")),
                None if config.get("payload") is None else str(config["payload"]),
                bool(config.get("enable", True)),
            )
        )
    else:
        project.not_emulated.append(f"{name} trigger {label}: {kind} triggers")


__all__ = ["Variables", "read_fc"]
