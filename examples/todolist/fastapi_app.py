"""The todo list on FastAPI, stateless: todos and users in DynamoDB, `request.session`
stored server-side by faasgi's ASGI middleware, every timestamp read from the request.

    faasgi serve examples.todolist.fastapi_app:handler    # from the repository root

The routes only translate between FastAPI and `api.TodoAPI`; flask_app.py does the same
for Flask, and both give the same answers. Store calls (blocking boto3) run in FastAPI's
thread pool, so the event loop is never blocked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from examples.todolist.api import (
    TodoAPI,
    check_content_type,
    check_length,
    error_body,
    instance_headers,
    request_time,
)
from examples.todolist.backend import Backend, from_environment, table_names
from examples.todolist.store import TodoError
from faasgi import serverless
from faasgi.state import ASGISessionMiddleware

STATIC = Path(__file__).resolve().parent / "static"


def create_app(backend: Backend | None = None, *, live: bool | None = None) -> FastAPI:
    """The FastAPI app on `backend` (from the environment when omitted). Runs once per
    instance, at init: the stores and their DynamoDB client are built here, not per request.
    `live`: live updates over WebSockets (live.py); by default on with the environment's
    backend (served, deployed), off with one given (tests without a WebSocket API)."""
    if live is None:
        live = backend is None
    if backend is None:
        backend = from_environment()
    api = TodoAPI(backend.todos)
    # No generated docs: the routes read raw JSON to answer exactly as the Flask app does.
    app = FastAPI(title="faasgi todo list", docs_url=None, redoc_url=None, openapi_url=None)
    if backend.sessions is not None:
        app.add_middleware(ASGISessionMiddleware, sessions=backend.sessions)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def user(request: Request) -> str | None:
        if "session" not in request.scope:
            return None
        name = request.session.get("user")
        return name if isinstance(name, str) else None

    async def body(request: Request) -> bytes:
        length = request.headers.get("content-length")
        check_length(int(length) if length and length.isdigit() else None)
        raw = await request.body()
        check_content_type(request.headers.get("content-type"), raw)
        return raw

    @app.middleware("http")
    async def frame(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Any:
        api_path = request.url.path.startswith("/api/")
        if backend.problem is not None and api_path:
            response: Response = JSONResponse(
                {"success": False, "message": backend.problem}, status_code=503
            )
        else:
            response = await call_next(request)
        for name, value in instance_headers():
            response.headers[name] = value
        if api_path:
            response.headers["Cache-Control"] = "no-store"  # per user: never cache
        return response

    @app.exception_handler(TodoError)
    async def todo_error(request: Request, error: TodoError) -> JSONResponse:
        return JSONResponse(error_body(error), status_code=error.status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        # The same JSON as every other answer of the API, not FastAPI's {"detail": ...}.
        return JSONResponse(
            {"success": False, "message": error.detail},
            status_code=error.status_code,
            headers=error.headers,
        )

    @app.get("/")
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/api/rule")
    async def list_todos(request: Request) -> Any:
        return await run_in_threadpool(api.list, user(request), dict(request.query_params))

    @app.post("/api/rule")
    async def post_todo(request: Request) -> Any:
        raw, now = await body(request), request_time()
        query = dict(request.query_params)
        return await run_in_threadpool(api.post, user(request), raw, query, now)

    @app.put("/api/rule")
    async def update_todo(request: Request) -> Any:
        raw, now = await body(request), request_time()
        return await run_in_threadpool(api.put, user(request), raw, now)

    @app.delete("/api/rule")
    async def delete_todos(request: Request) -> Any:
        raw, query = await body(request), dict(request.query_params)
        return await run_in_threadpool(api.delete, user(request), raw, query)

    @app.get("/api/currentUser")
    async def current_user(request: Request) -> Any:
        return await run_in_threadpool(api.current_user, user(request))

    @app.post("/api/login/account")
    async def login(request: Request) -> Any:
        answer, name = await run_in_threadpool(api.login, await body(request))
        request.session["user"] = name
        request.session.regenerate()  # type: ignore[attr-defined]  # a new id on login
        return answer

    @app.post("/api/register")
    async def register(request: Request) -> Any:
        raw, now = await body(request), request_time()
        return await run_in_threadpool(api.register, raw, now)

    @app.post("/api/logout")
    async def logout(request: Request) -> Any:
        request.session.clear()  # deletes the stored session and expires the cookie
        return api.logout()

    if live and backend.sessions is not None:
        from examples.todolist.live import install

        install(app, backend.sessions)
    return app


def faasgi_tables() -> list[str]:
    """The DynamoDB tables this function uses, for `faasgi serve` to create locally."""
    return table_names()


handler = serverless(create_app)
# FC resolves "module.attribute" only: it cannot reach handler.initializer directly.
initializer = handler.initializer
pre_stop = handler.pre_stop
