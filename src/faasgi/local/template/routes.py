"""Which function a request reaches, as API Gateway chooses: the most specific route
wins (literal segments over `{param}`, `{param}` over a greedy `{proxy+}`, a method over
`ANY`), and the HTTP API's `$default` route takes what nothing else does
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html,
"Routing API requests"). A greedy variable matches one or more segments, never the root:
`/{proxy+}` does not match `/`. Also what the event says about the route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from faasgi.local.template.model import Function, Route

#: What the front answers when no route matches, per API type:
#: REST: 403 "Missing Authentication Token"
#: (https://repost.aws/knowledge-center/api-gateway-authentication-token-errors),
#: HTTP API: 404 "Not Found"
#: (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html).
NO_ROUTE: dict[str, tuple[int, str]] = {
    "rest": (403, "Missing Authentication Token"),
    "http": (404, "Not Found"),
    "url": (404, "Not Found"),
    "fc": (404, "Not Found"),
}


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    function: Function
    parameters: dict[str, str]


class RouteTable:
    """The routes served on one port."""

    def __init__(self, routes: list[tuple[Route, Function]]) -> None:
        compiled = [(_rank(route), route, function, _pattern(route)) for route, function in routes]
        compiled.sort(key=lambda item: item[0])
        self._routes = [(route, function, pattern) for _, route, function, pattern in compiled]
        #: REST stages served here: on execute-api a REST API's URL starts with its stage
        #: (`https://{api}.execute-api.{region}.amazonaws.com/{stage}/...`,
        #: https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html).
        self._stages = {route.stage for route, _ in routes if route.kind == "rest"}
        kinds = {route.kind for route, _ in routes}
        #: The API type whose "no route" answer this port gives.
        self.kind = "http" if "http" in kinds else next(iter(sorted(kinds)), "http")

    def match(self, method: str, path: str) -> Match | None:
        """The route for `path`; `/{stage}/rest` reaches a REST route of that stage as
        `/rest` (the event builder takes the stage out of `path` and keeps it in
        `requestContext.path`); a path without the stage routes as it is."""
        first, _, rest = path.lstrip("/").partition("/")
        if first in self._stages:
            found = self._match(method, "/" + rest, first)
            if found is not None:
                return found
        return self._match(method, path)

    def _match(self, method: str, path: str, stage: str | None = None) -> Match | None:
        for route, function, pattern in self._routes:
            if route.method not in ("ANY", method):
                continue
            if stage is not None and (route.kind != "rest" or route.stage != stage):
                continue
            if pattern is None:
                return Match(route, function, {})
            found = pattern.fullmatch(path)
            if found:
                return Match(route, function, {k: unquote(v) for k, v in found.groupdict().items()})
        return None

    def no_route(self) -> tuple[int, str]:
        return NO_ROUTE[self.kind]


def _segments(path: str) -> list[str]:
    return [part for part in path.strip("/").split("/") if part]


def _rank(route: Route) -> tuple[Any, ...]:
    if route.path == "$default":
        return (1, (), route.method == "ANY")
    ranks = []
    for part in _segments(route.path):
        if part.startswith("{") and part.endswith("+}"):
            ranks.append(2)
        elif part.startswith("{") and part.endswith("}"):
            ranks.append(1)
        else:
            ranks.append(0)
    # Literal before variable before greedy, segment by segment; then the method.
    return (0, (*ranks, -1), route.method == "ANY")


def _pattern(route: Route) -> re.Pattern[str] | None:
    if route.path == "$default":
        return None
    parts = []
    for part in _segments(route.path):
        if part.startswith("{") and part.endswith("+}"):
            parts.append(f"(?P<{_group(part[1:-2])}>.+)")
        elif part.startswith("{") and part.endswith("}"):
            parts.append(f"(?P<{_group(part[1:-1])}>[^/]+)")
        else:
            parts.append(re.escape(part))
    return re.compile("/" + "/".join(parts) + "/?")


def _group(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"path parameter {name!r} is not a name")
    return name


def adjust_event(event: dict[str, Any], match: Match, authorizer: dict[str, Any] | None) -> None:
    """What API Gateway writes about the route into the event it built."""
    route = match.route
    context = event.setdefault("requestContext", {})
    if route.kind in ("http", "url") and route.payload == "2.0":
        event["routeKey"] = context["routeKey"] = route.route_key
        context["stage"] = route.stage
        context["apiId"] = route.api
        if match.parameters:
            event["pathParameters"] = match.parameters
        if authorizer is not None:
            context["authorizer"] = authorizer
    elif route.kind in ("rest", "http"):
        event["resource"] = context["resourcePath"] = route.path
        context["stage"] = route.stage
        context["apiId"] = route.api
        event["pathParameters"] = match.parameters or None
        if route.kind == "http":  # HTTP API payload format 1.0 says which it is
            event["version"] = "1.0"
        if authorizer is not None:
            context["authorizer"] = authorizer


__all__ = ["NO_ROUTE", "Match", "RouteTable", "adjust_event"]
