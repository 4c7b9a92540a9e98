"""Live updates for the FastAPI todo list: a change made in one tab appears in every open
tab of that user, through `faasgi.websockets.broadcast` to a per-user group.

- `GET /api/live` gives a logged-in page a short-lived token (signed with the session
  secret) and the WebSocket URL (`TODO_LIVE_URL` on AWS, whose WebSocket API is another
  domain that never sees the session cookie; the same host locally);
- the page connects to `/ws?token=...`; the endpoint checks the token at the handshake
  only and puts the connection in the user's group;
- every successful write under /api/rule broadcasts `{"type": "changed"}` to the group,
  and each tab reloads its list.

The Flask app has none of this (WSGI has no WebSockets): its page polls instead.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Final

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from faasgi import websockets
from faasgi.state import Sessions

logger = logging.getLogger("examples.todolist.live")

URL_VARIABLE: Final = "TODO_LIVE_URL"
#: Seconds a token may wait before the page connects with it.
TOKEN_SECONDS: Final = 60
CHANGED: Final = json.dumps({"type": "changed"})


def group(user: str) -> str:
    return "todos#" + user


class LiveUpdates:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    def token(self, user: str, now: float) -> str:
        return self.sessions.sign(f"live:{int(now) + TOKEN_SECONDS}:{user}")

    def user_of(self, token: str, now: float) -> str | None:
        signed = self.sessions.verify(token)
        if signed is None:
            return None
        kind, _, rest = signed.partition(":")
        expires, _, user = rest.partition(":")
        if kind != "live" or not expires.isdigit() or int(expires) < now or not user:
            return None
        return user

    async def changed(self, user: str) -> None:
        """Tell the user's tabs; a failure is logged, never fails the write that caused it."""
        try:
            await websockets.broadcast(group(user), CHANGED)
        except Exception:
            logger.exception("live update for %r failed", user)


class BroadcastWrites:
    """ASGI middleware: after a successful write under /api/rule, broadcast to its user."""

    def __init__(self, app: Any, live: LiveUpdates) -> None:
        self.app = app
        self.live = live

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD")
            or not scope["path"].startswith("/api/rule")
        ):
            await self.app(scope, receive, send)
            return
        status = 0

        async def watch(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        session = scope.get("session")
        user = session.get("user") if session is not None else None
        if 200 <= status < 300 and isinstance(user, str):
            await self.live.changed(user)


def install(app: FastAPI, sessions: Sessions) -> None:
    """Add the live-update routes and middleware to the todo list's FastAPI app."""
    live = LiveUpdates(sessions)
    app.add_middleware(BroadcastWrites, live=live)

    @app.get("/api/live")
    async def live_token(request: Request) -> Any:
        user = request.session.get("user") if "session" in request.scope else None
        if not isinstance(user, str):
            return JSONResponse({"success": False, "message": "not logged in"}, status_code=401)
        return {"url": os.environ.get(URL_VARIABLE) or None, "token": live.token(user, time.time())}

    @app.websocket("/ws")
    async def live_socket(websocket: WebSocket) -> None:
        if websockets.connecting():  # the handshake: check the token, join the user's group
            user = live.user_of(websocket.query_params.get("token", ""), time.time())
            if user is None:
                await websocket.close(code=1008)  # refused: 403 on API Gateway
                return
            await websocket.accept()
            await websockets.join(group(user))
        else:
            await websocket.accept()  # a later invocation: the connection is open already
        try:
            while True:
                await websocket.receive_text()  # the page sends nothing; ignore anything
        except WebSocketDisconnect:
            pass  # faasgi.websockets forgets the connection and its group
