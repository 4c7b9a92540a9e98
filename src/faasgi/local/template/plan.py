"""How a template runs here: one instance pool per function with its own settings, the
ports (API routes on `--port`, each Function URL or FC HTTP trigger on its own, the Invoke
API on `--invoke-port`), the local DynamoDB with the template's tables, and the start-up
banner, which lists what is not emulated, one line each.
"""

from __future__ import annotations

import argparse
import socket
from collections.abc import Callable
from typing import Any

from faasgi.local.authorizers import Authorizers, KeySource
from faasgi.local.pool import Outcome, Pool, PoolSettings
from faasgi.local.resources import LocalResources, load_tables_file
from faasgi.local.template.model import Function, Project, Route

_KIND_NAMES = {
    "rest": "REST API",
    "http": "HTTP API",
    "url": "Function URL",
    "fc": "FC HTTP trigger",
}


class Plan:
    def __init__(
        self,
        project: Project,
        args: argparse.Namespace,
        environment: dict[str, str],
        keys: KeySource | None,
    ) -> None:
        self.project = project
        self.args = args
        self.environment = environment
        self.keys = keys
        tables = [{k: v for k, v in t.items() if k != "TimeToLive"} for t in project.tables]
        if args.tables:
            tables.extend(load_tables_file(args.tables))  # type: ignore[arg-type]
        self.resources = LocalResources(args.dynamodb, dynamodb=not args.no_dynamodb, tables=tables)
        self.pools: dict[str, Pool] = {}
        self.invokers: dict[str, Any] = {}
        #: `--record`'s Recorder (start_pools), and each function's (handler, source).
        self.recorder: Any = None
        self.recorded: dict[str, tuple[str, str]] = {}
        #: Where Event invocations go (the async queue, asyncserve.py); None: run at once.
        self.submit_async: Callable[[str, bytes], str] | None = None
        #: (label, socket, routes or None for the Invoke API)
        self.ports: list[tuple[str, socket.socket, list[tuple[Route, Function]] | None]] = []

    # -- ports ------------------------------------------------------------------------------

    def listeners(self, listen: Callable[[str, int], socket.socket]) -> None:
        """Bind every port before anything starts: a taken port is a usage error."""
        host = self.args.host
        api_routes = [(r, f) for r, f in self.project.routes() if r.kind in ("rest", "http")]
        own: dict[str, list[tuple[Route, Function]]] = {}
        for route, function in self.project.routes():
            if route.kind in ("url", "fc"):
                own.setdefault(route.api, []).append((route, function))
        seen: dict[tuple[str, str], str] = {}
        for route, function in api_routes:
            key = (route.method, route.path)
            if key in seen and seen[key] != function.name:
                self.project.not_emulated.append(
                    f"{route.route_key} is declared by {seen[key]} and {function.name} (API "
                    f"Gateway keeps one per API; here all APIs share a port): {seen[key]} answers"
                )
            seen.setdefault(key, function.name)
        groups: list[tuple[str, list[tuple[Route, Function]]]] = []
        if api_routes:
            groups.append(("API", api_routes))
        groups.extend(
            (f"{_KIND_NAMES[routes[0][0].kind]} of {routes[0][1].name}", routes)
            for routes in own.values()
        )
        for index, (label, routes) in enumerate(groups):
            port = self.args.port if index == 0 else 0
            self.ports.append((label, listen(host, port), routes))
        if not groups:
            self.ports.append(("(no HTTP routes)", listen(host, self.args.port), []))
        self.ports.append(("invoke", listen(host, self.args.invoke_port), None))

    def sockets(self) -> list[socket.socket]:
        return [listener for _, listener, _ in self.ports]

    # -- resources --------------------------------------------------------------------------

    def apply_ttl(self) -> None:
        """TimeToLiveSpecification is not part of CreateTable: set it after."""
        if self.resources.endpoint_url is None:
            return
        client = self.resources.client()
        for table in self.project.tables:
            if "TimeToLive" in table:
                client.update_time_to_live(
                    TableName=table["TableName"],
                    TimeToLiveSpecification={"AttributeName": table["TimeToLive"], "Enabled": True},
                )

    # -- pools ------------------------------------------------------------------------------

    def start_pools(self) -> list[Pool]:
        from faasgi.local.record import Recorder, RecordingInvoker

        recorder = self.recorder = Recorder(self.args.record) if self.args.record else None
        for name, function in self.project.functions.items():
            settings = self._settings(function)
            pool = Pool(settings, self.resources.declared)
            self.pools[name] = pool
            invoker: Any = pool
            if recorder is not None:
                invoker = RecordingInvoker(pool, recorder, name, function.handler, settings.source)
                self.recorded[name] = (function.handler, settings.source)
            self.invokers[name] = invoker
        return list(self.pools.values())

    def _settings(self, function: Function) -> PoolSettings:
        args = self.args
        own: dict[str, str] = {}
        if function.platform == "aws":
            own = {
                "AWS_LAMBDA_FUNCTION_NAME": function.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "LAMBDA_TASK_ROOT": function.code_dir,
            }
        else:
            own = {
                "FC_FUNCTION_NAME": function.name,
                "FC_FUNCTION_MEMORY_SIZE": str(function.memory),
            }
        # The local DynamoDB's endpoint and dummy credentials win over the template's, so
        # nothing reaches a real account; -e wins over everything.
        environment = {
            **own,
            **function.environment,
            **self.resources.environment,
            **self.environment,
        }
        client = getattr(args, "runtime_client", None)
        if client and function.platform != "aws":
            self.project.not_emulated.append(
                f"--runtime-client {client} for {function.name}: a Lambda runtime client "
                "cannot run an FC function; faasgi's own worker runs it"
            )
            client = None
        if client and "AWS_LAMBDA_EXEC_WRAPPER" in function.environment:
            self._wrapper_note(function.name, client)
        extra: list[str] = []
        if function.initializer:
            extra += ["--initializer", function.initializer]
        if function.pre_stop:
            extra += ["--pre-stop", function.pre_stop]
        return PoolSettings(
            handler=function.handler,
            source="fc-http" if function.platform == "fc" else "aws-http",
            keep_alive=args.keep_alive,
            max_instances=args.max_instances,
            concurrency=max(function.concurrency, args.concurrency),
            timeout=function.timeout,
            fresh=args.fresh,
            environment=environment,
            working_directory=function.code_dir,
            worker_arguments=tuple(extra),
            runtime_client=client,
        )

    def _wrapper_note(self, name: str, client: str) -> None:
        """sam.py lists the wrapper as not emulated, as faasgi's worker ignores it; with a
        runtime client the instance runs that client instead (faasgi.runtime is what
        faasgi's wrapper script starts on Lambda)."""
        project = self.project
        project.not_emulated = [
            item
            for item in project.not_emulated
            if not item.startswith(f"{name}: AWS_LAMBDA_EXEC_WRAPPER")
        ]
        if client == "faasgi":
            project.notes.append(
                f"{name}: AWS_LAMBDA_EXEC_WRAPPER: its instances run python -m faasgi.runtime, "
                "what faasgi's wrapper starts on Lambda"
            )
        else:
            project.not_emulated.append(
                f"{name}: AWS_LAMBDA_EXEC_WRAPPER (Lambda's bootstrap runs it; locally the "
                f"instance runs {client} without it)"
            )

    async def invoke(self, name: str, request_id: str, event: bytes) -> Outcome:
        """Invoke a function by name (a Lambda authorizer)."""
        invoker = self.invokers.get(name)
        if invoker is None:
            detail = f"no function {name} in the template"
            return Outcome("", False, None, 0.0, 0.0, failure="init", detail=detail)
        outcome: Outcome = await invoker.invoke(request_id, event)
        return outcome

    def front(self) -> Any:
        from faasgi.local.invoke_api import InvokeApi
        from faasgi.local.template.front import Endpoint, TemplateFront
        from faasgi.local.template.routes import RouteTable

        endpoints = {}
        for label, listener, routes in self.ports:
            port = listener.getsockname()[1]
            if routes is None:
                endpoints[port] = Endpoint(
                    label,
                    app=InvokeApi(self.invokers, self.resources.region, self.submit_async),
                )
            else:
                endpoints[port] = Endpoint(label, table=RouteTable(routes))
        authorizers = Authorizers(self.project.authorizers, self.invoke, self.keys)
        return TemplateFront(endpoints, self.invokers, authorizers, self.submit_async)

    # -- banner -----------------------------------------------------------------------------

    def banner(self) -> str:
        project, args = self.project, self.args
        urls = []
        for label, listener, routes in self.ports:
            host, port = listener.getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            urls.append((label, f"http://{shown}:{port}", routes))
        kind = "SAM template" if project.kind == "sam" else "Serverless Devs s.yaml (fc3)"
        lines = [
            f"faasgi serve: listening on {urls[0][1]}",
            f"  template   {args.template} ({kind})",
        ]
        for name, function in project.functions.items():
            lines.append(
                f"  function   {name}: {function.handler} in {function.code_dir}, timeout "
                f"{function.timeout:g} s, {function.memory} MB"
                + (f", {function.concurrency} requests at once" if function.concurrency > 1 else "")
            )
            lines.extend(f"    route    {text}" for text in _routes_text(function.routes))
            for schedule in function.schedules:
                state = "enabled" if schedule.enabled else "disabled"
                lines.append(
                    f"    schedule {schedule.name}: {schedule.expression} ({schedule.kind}, "
                    f"{state})"
                )
            # Retries, destinations and the schedules' timing: the async lines below.
        for label, url, routes in urls[1:]:
            if routes is None:
                lines.append(f"  invoke     {url} (Lambda Invoke API: boto3 / aws --endpoint-url)")
            else:
                lines.append(f"  port       {url}: the {label}")
        for name, authorizer in project.authorizers.items():
            if authorizer.kind == "jwt":
                keys = args.jwks or "none given (--jwks): every token is refused"
                lines.append(f"  authorizer {name}: JWT from {authorizer.issuer}, keys {keys}")
            else:
                lines.append(
                    f"  authorizer {name}: Lambda {authorizer.kind.upper()} -> "
                    f"{authorizer.function}, cached {authorizer.ttl} s"
                )
        resources = self.resources
        if resources.endpoint_url is None:
            lines.append("  DynamoDB   none (--no-dynamodb)")
        else:
            where = " (moto, started here)" if resources.started_here else ""
            lines.append(f"  DynamoDB   {resources.endpoint_url}{where}")
            if resources.tables:
                lines.append(f"  tables     {', '.join(resources.tables)}")
        if getattr(args, "runtime_client", None):
            lines.append(
                f"  runtime    {args.runtime_client} in every Lambda instance, against its own "
                "local Runtime API"
            )
        if args.record:
            lines.append(f"  record     every event and answer into {args.record}")
        lines.extend(f"  note       {note}" for note in project.notes)
        lines.extend(f"  not emulated: {item}" for item in project.not_emulated)
        lines.append("  Ctrl-C stops it: instances get SIGTERM and run their shutdown hooks.")
        return "\n".join(lines)


def _routes_text(routes: list[Route]) -> list[str]:
    """One line per route; an FC trigger's methods on one line."""
    lines: list[str] = []
    fc_methods: dict[str, list[str]] = {}
    for route in routes:
        if route.kind == "fc":
            fc_methods.setdefault(route.api, []).append(route.method)
        else:
            lines.append(_route_text(route))
    lines.extend(
        f"{', '.join(methods)} on every path (FC HTTP trigger {api})"
        for api, methods in fc_methods.items()
    )
    return lines


def _route_text(route: Route) -> str:
    what = _KIND_NAMES[route.kind]
    if route.kind == "http":
        what += f" {route.api}, payload {route.payload}"
    elif route.kind == "rest":
        what += f" {route.api}, stage {route.stage}"
    auth = f", authorizer {route.authorizer}" if route.authorizer else ""
    scopes = f" (scopes {', '.join(route.scopes)})" if route.scopes else ""
    return f"{route.route_key} ({what}{auth}{scopes})"


__all__ = ["Plan"]
