"""The template's front door: one ASGI app behind every port the emulator listens on,
choosing by port what plays the platform there: the APIs' routes (API Gateway), a Function
URL or an FC HTTP trigger (one port each, as each has its own host in the cloud), or the
Lambda Invoke API. Each function is reached through its own instance pool.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from faasgi.events import Stamp
from faasgi.http import Request, Response
from faasgi.local.authorizers import Authorizers, Refused
from faasgi.local.fcasync import queue, wants_async
from faasgi.local.gateway import (
    Gateway,
    Invoker,
    Receive,
    Scope,
    Send,
    _lifespan,
    log_line,
    read_body,
    request_from_scope,
)
from faasgi.local.pool import Outcome
from faasgi.local.streamed import STREAM_LIMITS, forward
from faasgi.local.template.model import Route
from faasgi.local.template.routes import Match, RouteTable, adjust_event

logger = logging.getLogger("faasgi.local.template")

#: The event source each kind of route sends (model.Route.kind, payload version).
EVENT_SOURCES = {
    ("rest", "1.0"): "aws-rest",
    ("http", "2.0"): "aws-http",
    ("http", "1.0"): "aws-rest",
    ("url", "2.0"): "aws-http",
    ("fc", "1.0"): "fc-http",
}


@dataclass(slots=True)
class Endpoint:
    """What one port serves: routes, or another ASGI app (the Invoke API)."""

    label: str
    table: RouteTable | None = None
    app: Any = None


class TemplateFront:
    def __init__(
        self,
        endpoints: Mapping[int, Endpoint],
        invokers: Mapping[str, Invoker],
        authorizers: Authorizers,
        submit: Callable[..., str] | None = None,
    ) -> None:
        #: The async queue (AsyncSide.submit): FC HTTP requests with
        #: `X-Fc-Invocation-Type: Async` go there (fcasync.py).
        self.submit = submit
        self.endpoints = dict(endpoints)
        self.invokers = dict(invokers)
        self.authorizers = authorizers
        self._gateways: dict[tuple[str, str, str], Gateway] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # WebSocket: not emulated
        server = scope.get("server") or ("", 0)
        endpoint = self.endpoints.get(int(server[1] or 0)) or next(iter(self.endpoints.values()))
        if endpoint.app is not None:
            await endpoint.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = request_from_scope(scope, await read_body(receive))
        assert endpoint.table is not None
        response, outcome, name = await self.handle(endpoint.table, request)
        headers = [
            (n.encode("latin-1"), v.encode("latin-1", "replace")) for n, v in response.headers
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if outcome.stream is None:
            await send({"type": "http.response.body", "body": response.body})
        elif not await forward(outcome, send, request.method == "HEAD", STREAM_LIMITS["aws-http"]):
            # A streamed answer that broke: cut short, as `faasgi serve` does (streaming.md).
            logger.warning("%s %s", name, log_line(request, response.status, outcome, started))
            return
        if logger.isEnabledFor(logging.INFO):
            logger.info("%s %s", name, log_line(request, response.status, outcome, started))

    async def handle(self, table: RouteTable, request: Request) -> tuple[Response, Outcome, str]:
        """The answer for one request: the routed function's, or the platform's own."""
        path = request.path.decode("utf-8", "replace") or "/"
        match = table.match(request.method, path)
        if match is None:
            status, message = table.no_route()
            refused = Refused(status, message, "no route")
            return _own(refused.response()), Outcome("", False, None, 0.0, 0.0), "-"
        route, function = match.route, match.function
        gateway = self._gateway(function.name, route)
        try:
            authorized = await self.authorizers.check(
                route, request, self._event(gateway, request, match)
            )
        except Refused as refusal:
            outcome = Outcome("", False, None, 0.0, 0.0, failure=None, detail=str(refusal))
            logger.info("%s: refused by %s: %s", function.name, route.authorizer, refusal)
            return _own(refusal.response()), outcome, function.name

        def adjust(event: dict[str, Any]) -> None:
            adjust_event(event, match, authorized)

        if route.kind == "fc" and self.submit is not None and wants_async(request):
            submit = self.submit

            def queued(payload: bytes, request_id: str) -> None:
                submit(function.name, payload, request_id, "FC HTTP Async")

            response = queue(gateway, request, queued, adjust)
            return response, Outcome("", False, None, 0.0, 0.0, detail="queued"), function.name
        response, outcome = await gateway.handle(request, adjust)
        return response, outcome, function.name

    def _event(self, gateway: Gateway, request: Request, match: Match) -> dict[str, Any]:
        """The event as the function would get it, for a REQUEST authorizer."""
        if match.route.authorizer is None:
            return {}
        event = gateway.build_event(request, Stamp("authorizer", int(time.time() * 1000)))
        adjust_event(event, match, None)
        return event

    def _gateway(self, function: str, route: Route) -> Gateway:
        source = EVENT_SOURCES[(route.kind, route.payload)]
        stage = route.stage if route.kind == "rest" else "$default"
        key = (function, source, stage)
        gateway = self._gateways.get(key)
        if gateway is None:
            gateway = self._gateways[key] = Gateway(self.invokers[function], source, stage)
        return gateway


def _own(response: Response) -> Response:
    """An answer the front gives itself, with its length."""
    response.headers.append(("content-length", str(len(response.body))))
    return response


def json_response(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    data = json.dumps(body).encode("utf-8")
    return Response(status, [("content-type", "application/json"), *(headers or [])], data)


__all__ = ["EVENT_SOURCES", "Endpoint", "TemplateFront", "json_response"]
