"""The todo list on Flask, stateless: todos and users in DynamoDB, `flask.session` stored
server-side by faasgi, every timestamp read from the request. Any copy of the function can
serve any request.

    faasgi serve examples.todolist.flask_app:handler      # from the repository root

The routes only translate between Flask and `api.TodoAPI`; fastapi_app.py does the same
for FastAPI, and both give the same answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask
from werkzeug.exceptions import HTTPException

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
from faasgi.state.flask import FlaskSessionInterface

STATIC = Path(__file__).resolve().parent / "static"


def create_app(backend: Backend | None = None) -> flask.Flask:
    """The Flask app on `backend` (from the environment when omitted). Runs once per
    instance, at init: the stores and their DynamoDB client are built here, not per request."""
    if backend is None:
        backend = from_environment()
    api = TodoAPI(backend.todos)
    app = flask.Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    if backend.sessions is not None:
        app.session_interface = FlaskSessionInterface(backend.sessions)

    def user() -> str | None:
        name = flask.session.get("user")
        return name if isinstance(name, str) else None

    def body() -> bytes:
        check_length(flask.request.content_length)
        raw = flask.request.get_data(cache=False)
        check_content_type(flask.request.content_type, raw)
        return raw

    @app.before_request
    def refuse_when_misconfigured() -> Any:
        if backend.problem is not None and flask.request.path.startswith("/api/"):
            return {"success": False, "message": backend.problem}, 503
        return None

    @app.errorhandler(TodoError)
    def todo_error(error: TodoError) -> Any:
        return error_body(error), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        # JSON like every other answer of the API, not Werkzeug's HTML page.
        return {"success": False, "message": error.description}, error.code

    @app.after_request
    def add_instance_headers(response: flask.Response) -> flask.Response:
        for name, value in instance_headers():
            response.headers[name] = value
        if flask.request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"  # per user: never cache
        return response

    @app.get("/")
    def page() -> Any:
        return flask.send_from_directory(STATIC, "index.html")

    @app.get("/api/rule")
    def list_todos() -> Any:
        return api.list(user(), flask.request.args)

    @app.post("/api/rule")
    def post_todo() -> Any:
        return api.post(user(), body(), flask.request.args, request_time())

    @app.put("/api/rule")
    def update_todo() -> Any:
        return api.put(user(), body(), request_time())

    @app.delete("/api/rule")
    def delete_todos() -> Any:
        return api.delete(user(), body(), flask.request.args)

    @app.get("/api/currentUser")
    def current_user() -> Any:
        return api.current_user(user())

    @app.post("/api/login/account")
    def login() -> Any:
        answer, name = api.login(body())
        flask.session["user"] = name
        flask.session.regenerate()  # type: ignore[attr-defined]  # a new id on login
        return answer

    @app.post("/api/register")
    def register() -> Any:
        return api.register(body(), request_time())

    @app.post("/api/logout")
    def logout() -> Any:
        flask.session.clear()  # deletes the stored session and expires the cookie
        return api.logout()

    return app


def faasgi_tables() -> list[str]:
    """The DynamoDB tables this function uses, for `faasgi serve` to create locally."""
    return table_names()


handler = serverless(create_app)
# FC resolves "module.attribute" only: it cannot reach handler.initializer directly.
initializer = handler.initializer
pre_stop = handler.pre_stop
