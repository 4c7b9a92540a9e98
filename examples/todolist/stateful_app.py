"""The todo list as the course's original backend kept it, ported to Flask: everything in
process memory. DO NOT DEPLOY: it is here to show what breaks when a function scales out.

It works while one long-lived process serves every request (`flask run`, one container).
As a function, every copy of it is a separate process, and each marked line below fails:

- `users`, `todos`: each copy has its own; a todo added on one copy is missing on the
  next, and everything is gone when the platform recycles a copy.
- `app.secret_key`: random per copy, so a login cookie signed by one copy is refused by
  the next copy, which sees an anonymous visitor.
- `DEFAULT_RULE`: computed once, at import, so every todo a copy creates gets the same
  `createdAt`/`updatedAt` (the init-time clock bug); and an update leaves `updatedAt` alone.
- paging: `current`/`pageSize` are echoed back but every todo is returned.

`faasgi check examples.todolist.stateful_app:handler` fails on the very scenario that
flask_app.py passes; see README.md.
"""

from __future__ import annotations

import os
import random
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import flask

from examples.todolist.store import hash_password, iso, verify_password
from faasgi import serverless

STATIC = Path(__file__).resolve().parent / "static"

app = flask.Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
app.secret_key = os.urandom(24)  # BREAKS: each copy signs cookies with its own key

users: dict[str, dict[str, Any]] = {}  # BREAKS: per copy, lost on recycle
todos: list[dict[str, Any]] = []  # BREAKS: per copy, lost on recycle

# BREAKS: the init-time clock. Computed when the module is imported, so shared by every
# todo this copy ever creates, however much later.
_LOADED_AT = iso(datetime.now(timezone.utc))
DEFAULT_RULE = {
    "href": "",
    "avatar": "",
    "owner": "",
    "desc": "",
    "callNo": random.randint(0, 100),
    "status": 1,
    "updatedAt": _LOADED_AT,
    "createdAt": _LOADED_AT,
    "progress": 0,
    "disabled": False,
}


def _user() -> str | None:
    name = flask.session.get("user")
    return name if isinstance(name, str) else None


def _json() -> dict[str, Any]:
    body = flask.request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@app.get("/")
def page() -> Any:
    return flask.send_from_directory(STATIC, "index.html")


@app.get("/api/rule")
def list_todos() -> Any:
    if _user() is None:
        return {"success": False, "message": "log in first"}, 401
    current = flask.request.args.get("current", "1")
    page_size = flask.request.args.get("pageSize", "10")
    mine = [todo for todo in todos if todo["owner"] == _user()]
    # Paging echoed, not applied: every todo comes back.
    return {
        "data": mine,
        "total": len(mine),
        "success": True,
        "pageSize": int(page_size) if page_size.isdigit() else 10,
        "current": int(current) if current.isdigit() else 1,
    }


@app.post("/api/rule")
def post_todo() -> Any:
    body = _json()
    method = body.get("method", "post")
    if method == "update":
        return update_todo()
    if method == "delete":
        return delete_todos()
    owner = _user()
    if owner is None:
        return {"success": False, "message": "log in first"}, 401
    todo = {
        **DEFAULT_RULE,
        # A key the client chose (scenario.json does, to name the todo later), else a uuid4.
        "key": body.get("key") or str(uuid.uuid4()),
        "name": body.get("name", ""),
        "desc": body.get("desc", ""),
        "owner": owner,
    }
    todos.insert(0, todo)  # newest first, like the original's unshift
    return todo


@app.put("/api/rule")
def update_todo() -> Any:
    if _user() is None:
        return {"success": False, "message": "log in first"}, 401
    body = _json()
    for todo in todos:
        if todo["key"] == body.get("key") and todo["owner"] == _user():
            # Merges the fields; updatedAt stays as it was (as in the original).
            todo.update({name: body[name] for name in ("name", "desc", "status") if name in body})
            return todo
    return {}  # the original answered an empty object for an unknown key


@app.delete("/api/rule")
def delete_todos() -> Any:
    if _user() is None:
        return {"success": False, "message": "log in first"}, 401
    keys = _json().get("key") or []
    todos[:] = [todo for todo in todos if todo["key"] not in keys]
    mine = [todo for todo in todos if todo["owner"] == _user()]
    return {"list": mine, "pagination": {"total": len(mine)}}


@app.get("/api/currentUser")
def current_user() -> Any:
    name = _user()
    if name is None or name not in users:
        return {"success": False, "message": "log in first", "data": {"isLogin": False}}, 401
    return {"name": name, "avatar": "", "userid": users[name]["userid"], "access": "user"}


@app.post("/api/register")
def register() -> Any:
    body = _json()
    name, password = body.get("userName"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
        return {"success": False, "message": "userName and password are required"}, 400
    if name in users:
        return {"success": False, "status": "error", "message": "userName exists"}, 409
    users[name] = {"userid": uuid.uuid4().hex, "password": hash_password(password)}
    return {"status": "ok", "type": "register", "currentAuthority": "user", "success": True}


@app.post("/api/login/account")
def login() -> Any:
    body = _json()
    name, password, kind = body.get("userName"), body.get("password"), body.get("type", "account")
    user = users.get(name) if isinstance(name, str) else None
    if (
        user is None
        or not isinstance(password, str)
        or not verify_password(password, user["password"])
    ):
        answer = {"status": "error", "type": kind, "currentAuthority": "guest", "success": False}
        return {**answer, "message": "wrong user name or password"}, 401
    flask.session["user"] = name
    return {"status": "ok", "type": kind, "currentAuthority": "user"}


@app.post("/api/logout")
def logout() -> Any:
    flask.session.clear()
    return {"status": "ok", "success": True, "data": {}}


def faasgi_tables() -> list[str]:
    """No tables: this version keeps everything in memory (which is the problem)."""
    return []


handler = serverless(app)
initializer = handler.initializer
pre_stop = handler.pre_stop
