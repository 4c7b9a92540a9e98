"""Which websocket route serves a WebSocket API (API Gateway gives no path): the app's
only one, found through Starlette's Mounts and middleware, or `websocket_path`."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount, Route, WebSocketRoute

from faasgi.asgi_websocket import WebSocketSetupError, endpoint_path


async def socket(websocket: Any) -> None:
    await websocket.accept()


async def page(request: Any) -> None:
    pass


class Wrapper:
    """A plain ASGI middleware that keeps the app it wraps as `.app`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def test_the_only_websocket_route_inside_a_mount_and_middleware_is_found() -> None:
    app = Starlette(
        routes=[Route("/", page), Mount("/api", routes=[WebSocketRoute("/live", socket)])],
        middleware=[Middleware(GZipMiddleware)],
    )
    assert endpoint_path(Wrapper(Wrapper(app)), None) == "/api/live"


@pytest.mark.parametrize(
    ("routes", "reason"),
    [
        ([WebSocketRoute("/a", socket), WebSocketRoute("/b", socket)], "several websocket routes"),
        ([WebSocketRoute("/rooms/{room}", socket)], "path parameters"),
        ([Route("/", page)], "no websocket route"),
    ],
)
def test_an_ambiguous_app_needs_websocket_path(routes: list[Any], reason: str) -> None:
    app = Starlette(routes=routes)
    with pytest.raises(WebSocketSetupError, match=reason) as refused:
        endpoint_path(app, None)
    assert 'websocket_path="/ws"' in str(refused.value)
    assert endpoint_path(app, "rooms/blue") == "/rooms/blue"


def test_a_plain_asgi_app_needs_websocket_path() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    with pytest.raises(WebSocketSetupError, match="no websocket route faasgi can see"):
        endpoint_path(app, None)
