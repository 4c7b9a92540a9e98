"""Sessions as ASGI and WSGI middleware: the request's `Session` in `scope["session"]` or
`environ["faasgi.session"]`, saved when the response starts; a lost session conflict
becomes a 409. Knows nothing about any web framework.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from faasgi.state.server_sessions import Sessions
from faasgi.state.session import CONFLICT_BODY, Session, SessionConflict, logger


class ASGISessionMiddleware:
    """ASGI middleware: `scope["session"]` is the request's `Session` (so Starlette's and
    FastAPI's `request.session` work), saved when the response starts.

    `app.add_middleware(ASGISessionMiddleware, sessions=sessions)` in Starlette and FastAPI.
    Store calls run in a worker thread, so the event loop keeps serving other requests.
    """

    def __init__(self, app: Any, sessions: Sessions) -> None:
        import asyncio  # here, not at import: a WSGI function never pays for asyncio

        self.app = app
        self.sessions = sessions
        self._to_thread = asyncio.to_thread

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = "; ".join(
            value.decode("latin-1") for name, value in scope["headers"] if name == b"cookie"
        )
        session: Session = await self._to_thread(self.sessions.open, header or None)
        scope["session"] = session
        replaced = False

        async def send_with_session(message: Any) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                try:
                    extra = await self._to_thread(self.sessions.save, session)
                except SessionConflict as conflict:
                    logger.warning("%s", conflict)
                    replaced = True
                    await send(_conflict_start())
                    await send({"type": "http.response.body", "body": CONFLICT_BODY})
                    return
                if extra:
                    message["headers"] = [
                        *message.get("headers", ()),
                        *(
                            (name.encode("latin-1"), value.encode("latin-1"))
                            for name, value in extra
                        ),
                    ]
            elif replaced:
                return  # the app's body for the response the conflict replaced
            await send(message)

        await self.app(scope, receive, send_with_session)


class WSGISessionMiddleware:
    """WSGI middleware: `environ["faasgi.session"]` is the request's `Session`, saved once
    the app has answered. Buffers the response body, as every FaaS platform does, so a
    session conflict can still replace the response with a 409."""

    def __init__(self, app: Any, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        session: Session = self.sessions.open(environ.get("HTTP_COOKIE"))
        environ["faasgi.session"] = session
        started: list[Any] = []
        written: list[bytes] = []

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            started[:] = [status, list(headers), exc_info]
            return written.append

        result = self.app(environ, capture)
        try:
            chunks = [*written, *result]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        try:
            extra = self.sessions.save(session)
        except SessionConflict as conflict:
            logger.warning("%s", conflict)
            start_response("409 Conflict", _CONFLICT_HEADERS)
            return [CONFLICT_BODY]
        if not started:
            raise RuntimeError("the WSGI app returned without calling start_response")
        status, headers, exc_info = started
        start_response(status, headers + extra, exc_info)
        return chunks


_CONFLICT_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(CONFLICT_BODY))),
]


def _conflict_start() -> dict[str, Any]:
    return {
        "type": "http.response.start",
        "status": 409,
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in _CONFLICT_HEADERS
        ],
    }


__all__ = ["ASGISessionMiddleware", "WSGISessionMiddleware"]
