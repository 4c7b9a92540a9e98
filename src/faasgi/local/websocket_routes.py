"""API Gateway's route selection for WebSocket messages: the API's
`routeSelectionExpression` (typically `$request.body.action`) is evaluated on each JSON
message and the route whose key equals the result is taken; a non-JSON message, one the
expression finds nothing in, or a value no route has goes to `$default`; with no
`$default` route such a message reaches no integration.
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
(the expression's form `$request.body.{path}`, the result "stringified"),
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html
(`${...}` boundaries, several variables, `\\$` escapes).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Collection
from typing import Any, Final

DEFAULT_EXPRESSION: Final = "$request.body.action"
DEFAULT_ROUTE: Final = "$default"

_VARIABLE = re.compile(r"\\\$|\$\{([^}]*)\}|\$([A-Za-z][A-Za-z0-9_.]*)")
_BODY = "request.body"


class RouteSelection:
    """A compiled `routeSelectionExpression`; ValueError (one line) for one API Gateway
    would refuse for a WebSocket API (variables other than `$request.body...`)."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self._parts: list[str | list[str]] = []
        position = 0
        for match in _VARIABLE.finditer(expression):
            self._parts.append(expression[position : match.start()])
            position = match.end()
            if match.group(0) == "\\$":
                self._parts.append("$")
                continue
            variable = (match.group(1) or match.group(2) or "").strip()
            if variable != _BODY and not variable.startswith(_BODY + "."):
                raise ValueError(
                    f"route selection expression {expression!r}: a WebSocket API's is "
                    f"$request.body.{{path}}, got ${variable}"
                )
            self._parts.append([p for p in variable[len(_BODY) :].split(".") if p])
        self._parts.append(expression[position:])

    def evaluate(self, text: str) -> str | None:
        """The key `text` selects, or None when it is not JSON or lacks a field."""
        try:
            body = json.loads(text)
        except ValueError:
            return None
        pieces: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = _lookup(body, part)
            if value is None:
                return None
            pieces.append(value)
        return "".join(pieces)

    def route(self, text: str, route_keys: Collection[str] | None) -> str | None:
        """The route a message takes: `route_keys` are the API's routes (None: every key
        is a route, for `faasgi serve MODULE:HANDLER`, whose one function has them all);
        None when there is no route for it, not even `$default`."""
        key = self.evaluate(text)
        reserved = key in (None, DEFAULT_ROUTE, "$connect", "$disconnect")
        if not reserved and (route_keys is None or key in route_keys):
            return key
        if route_keys is None or DEFAULT_ROUTE in route_keys:
            return DEFAULT_ROUTE
        return None


def _lookup(body: Any, path: list[str]) -> str | None:
    for name in path:
        if not isinstance(body, dict) or name not in body:
            return None
        body = body[name]
    if body is None:
        return None
    # "the result will be stringified" (websocket-api-develop-routes): JSON text for
    # objects, lists, numbers and booleans; a string as it is.
    return body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))


def add_options(parser: argparse.ArgumentParser) -> None:
    """`faasgi serve`'s option (a template's WebSocket API brings its own expression)."""
    parser.add_argument(
        "--websocket-route-selection",
        default=DEFAULT_EXPRESSION,
        type=_checked,
        metavar="EXPR",
        help="the WebSocket API's routeSelectionExpression: the routeKey of each message "
        f"(default {DEFAULT_EXPRESSION}; not JSON or no such field: $default)",
    )


def _checked(expression: str) -> str:
    try:
        RouteSelection(expression)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return expression


__all__ = ["DEFAULT_EXPRESSION", "DEFAULT_ROUTE", "RouteSelection", "add_options"]
