"""The template's first WebSocket API (websocket_apis.py) on the API port: the functions
get the management API's address, `faasgi.websockets`' registry table exists, and
WebSocket connections reach each route's function through the emulator's WebSocket
gateway (local/websocket_gateway.py), as `faasgi serve MODULE:HANDLER` does for its one."""

from __future__ import annotations

from typing import Any


def prepare(plan: Any) -> None:
    """Before the pools start: the management endpoint in every function's environment and
    the default registry table for functions that do not name one."""
    if not plan.project.websocket_apis:
        return
    from faasgi.local import websocket_gateway
    from faasgi.state.connections import TABLE_VARIABLE

    listener = plan.ports[0][1]
    plan.environment = {
        **websocket_gateway.environment(*listener.getsockname()[:2]),
        **plan.environment,
    }
    api = plan.project.websocket_apis[0]
    functions = [plan.project.functions[name] for name in set(api.routes.values())]
    if any(TABLE_VARIABLE not in f.environment for f in functions):
        websocket_gateway.create_registry_table(plan.resources, plan.environment)


def front(plan: Any, app: Any) -> Any:
    """`app` with the WebSocket API in front of it (WebSocket scopes on any port)."""
    if not plan.project.websocket_apis:
        return app
    from faasgi.local.template.websocket_apis import ConnectAuthorizer
    from faasgi.local.websocket_gateway import WebSocketGateway

    api = plan.project.websocket_apis[0]
    routes = {key: plan.invokers[name] for key, name in api.routes.items()}
    default = next(iter(routes.values()), None)
    authorize = ConnectAuthorizer(api, plan.invoke) if api.authorizer else None
    return WebSocketGateway(
        app, default, route_selection=api.route_selection, routes=routes, authorize=authorize
    )


def add_to_banner(plan: Any, banner: list[str]) -> None:
    """The WebSocket API's lines, after the ports and tables, before the notes."""
    ends = ("  record", "  note", "  not emulated", "  Ctrl-C")
    where = next((i for i, line in enumerate(banner) if line.startswith(ends)), len(banner))
    banner[where:where] = _lines(plan)


def _lines(plan: Any) -> list[str]:
    lines = []
    for api in plan.project.websocket_apis[:1]:
        host, port = plan.ports[0][1].getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        lines.append(
            f"  websocket  {api.name}: ws://{shown}:{port}/ (any path), routes by "
            f"{api.route_selection}"
        )
        lines.extend(f"    route    {key} -> {name}" for key, name in api.routes.items())
        if api.authorizer:
            lines.append(f"    authorizer $connect -> {api.authorizer} ({', '.join(api.identity)})")
    return lines


__all__ = ["add_to_banner", "front", "prepare"]
