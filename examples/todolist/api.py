"""The todo list's HTTP API, minus the web framework: each operation takes what a request
carries (the session's user, the query, the raw body, the request's time) and returns the
JSON body to answer with, or raises a `TodoError` that names the status.

The Flask and FastAPI apps route requests here and do nothing else but sessions, so both
give the same answers. Response shapes are the original backend's (Ant Design Pro's).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Final

import faasgi
from examples.todolist.errors import InvalidInput, NotJSON, NotLoggedIn, TodoError, TooLarge
from examples.todolist.store import TodoStore
from examples.todolist.validation import (
    BODY_LIMIT,
    DEFAULT_PAGE_SIZE,
    PAGE_SIZE_LIMIT,
    has_lone_surrogate,
    small_number,
)

#: Ant Design Pro's authority for a logged-in user and for a visitor.
USER_AUTHORITY: Final = "user"
GUEST_AUTHORITY: Final = "guest"

#: Response headers naming the copy of the function that answered and whether the request
#: was its cold start; the page shows them. (`faasgi serve` adds its own `x-faasgi-*`.)
INSTANCE_HEADER: Final = "x-todo-instance"
COLD_HEADER: Final = "x-todo-cold"
REQUEST_ID_HEADER: Final = "x-todo-request-id"


def _instance_id() -> str:
    """Who this copy of the function is: Lambda's log stream (one per execution
    environment), FC's instance id, or a random name for this process."""
    stream = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
    if stream:
        return stream.rpartition("]")[2] or stream
    return os.environ.get("FC_INSTANCE_ID") or secrets.token_hex(6)


#: Set once per instance, at import: it names the instance, so it must not change per request.
INSTANCE_ID: Final = _instance_id()


def request_time() -> datetime:
    """When this request was made: the platform's trigger time from the event. Read per
    request; the original backend computed its timestamps once, at module load, so every
    todo of an instance had the same createdAt."""
    try:
        return faasgi.current_invocation().trigger_time
    except faasgi.OutsideInvocation:  # the app run without faasgi (flask run, uvicorn)
        return datetime.now(timezone.utc)


def instance_headers() -> list[tuple[str, str]]:
    """The `x-todo-*` headers for this response, from the current invocation."""
    try:
        invocation = faasgi.current_invocation()
    except faasgi.OutsideInvocation:
        return [(INSTANCE_HEADER, INSTANCE_ID)]
    return [
        (INSTANCE_HEADER, INSTANCE_ID),
        (COLD_HEADER, "true" if invocation.cold else "false"),
        (REQUEST_ID_HEADER, invocation.request_id),
    ]


def read_json(body: bytes) -> dict[str, Any]:
    """A request's JSON object; an empty body is `{}`. `TooLarge` over `BODY_LIMIT`,
    `InvalidInput` for anything that is not a JSON object."""
    if len(body) > BODY_LIMIT:
        raise TooLarge(f"the request body may have at most {BODY_LIMIT} bytes")
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as error:  # RecursionError: absurdly deep nesting
        raise InvalidInput(f"the body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidInput("the body must be a JSON object")
    # JSON lets a string hold an unpaired "\ud800" escape (RFC 8259, section 8.2); such a
    # string is not text (it has no UTF-8 form), so no field may carry one, nor may it be
    # echoed back (FastAPI encodes its answers as UTF-8).
    if not body.isascii() or b"\\u" in body:
        text = json.dumps(value, ensure_ascii=False)
        if has_lone_surrogate(text):
            raise InvalidInput(
                "the body holds a lone surrogate (an unpaired \\ud800-\\udfff escape), "
                "which is not text"
            )
    return value


def check_length(content_length: int | None) -> None:
    """Refuse a body the client announced as too large before reading it."""
    if content_length is not None and content_length > BODY_LIMIT:
        raise TooLarge(f"the request body may have at most {BODY_LIMIT} bytes")


def check_content_type(content_type: str | None, body: bytes) -> None:
    """A body must come as JSON. Besides being what the API reads, this keeps other sites
    out: a cross-site HTML form can send text/plain or form data with the visitor's
    cookie (where SameSite is not enforced), but never application/json."""
    if not body.strip():
        return
    media = (content_type or "").partition(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise NotJSON("send the body as JSON, with Content-Type: application/json")


def paging(query: Mapping[str, str]) -> tuple[int, int]:
    """`current` (from 1) and `pageSize` (1 to PAGE_SIZE_LIMIT) from the query string."""
    current = _positive(query.get("current"), "current", 1)
    page_size = _positive(query.get("pageSize"), "pageSize", DEFAULT_PAGE_SIZE)
    if page_size > PAGE_SIZE_LIMIT:
        raise InvalidInput(f"pageSize may be at most {PAGE_SIZE_LIMIT}")
    return current, page_size


def _positive(text: str | None, name: str, default: int) -> int:
    if text is None or text == "":
        return default
    number = small_number(text)
    if number is None or number < 1:
        raise InvalidInput(f"{name} must be a positive integer (at most 9 digits)")
    return number


def error_body(error: TodoError) -> dict[str, Any]:
    return {"success": False, "message": error.message, **error.extra}


def require(user: str | None) -> str:
    if user is None:
        raise NotLoggedIn("log in first", data={"isLogin": False})
    return user


class TodoAPI:
    """The operations behind each route. `user` is the session's user name (None when
    anonymous); `now` the request's time (`request_time()`)."""

    def __init__(self, todos: TodoStore) -> None:
        self.todos = todos

    # -- /api/rule --------------------------------------------------------------------------

    def list(self, user: str | None, query: Mapping[str, str]) -> dict[str, Any]:
        """GET /api/rule?current=&pageSize=: one page, newest first, and the total."""
        owner = require(user)
        current, page_size = paging(query)
        page = self.todos.page(owner, current, page_size)
        return {
            "data": page.todos,
            "total": page.total,
            "success": True,
            "pageSize": page_size,
            "current": current,
        }

    def post(
        self, user: str | None, body: bytes, query: Mapping[str, str], now: datetime
    ) -> dict[str, Any]:
        """POST /api/rule: create `{name, desc}`; or, in the original single-endpoint form,
        `{method: "post" | "update" | "delete", ...}`."""
        owner = require(user)
        fields = read_json(body)
        method = fields.get("method", "post")
        if method == "post":
            return self.todos.create(
                owner, fields.get("name"), fields.get("desc"), now, key=fields.get("key")
            )
        if method == "update":
            return self._update(owner, fields, now)
        if method == "delete":
            return self._delete(owner, fields, query)
        raise InvalidInput('method must be "post", "update" or "delete"')

    def put(self, user: str | None, body: bytes, now: datetime) -> dict[str, Any]:
        """PUT /api/rule `{key, name?, desc?, status?, version?}`: the updated todo."""
        return self._update(require(user), read_json(body), now)

    def delete(self, user: str | None, body: bytes, query: Mapping[str, str]) -> dict[str, Any]:
        """DELETE /api/rule `{key: [k, ...]}`: the first page after the delete."""
        return self._delete(require(user), read_json(body), query)

    def _update(self, owner: str, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
        if "key" not in fields:
            raise InvalidInput("key is required")
        return self.todos.update(owner, fields["key"], fields, now)

    def _delete(
        self, owner: str, fields: dict[str, Any], query: Mapping[str, str]
    ) -> dict[str, Any]:
        if "key" not in fields:
            raise InvalidInput("key is required (a list of todo keys)")
        self.todos.delete(owner, fields["key"])
        current, page_size = paging(query)
        page = self.todos.page(owner, current, page_size)
        return {
            "list": page.todos,
            "pagination": {"total": page.total, "current": current, "pageSize": page_size},
            "success": True,
        }

    # -- users ------------------------------------------------------------------------------

    def current_user(self, user: str | None) -> dict[str, Any]:
        """GET /api/currentUser: the profile Ant Design Pro's layout shows."""
        name = require(user)
        profile = self.todos.user(name)
        if profile is None:  # deleted while logged in
            raise NotLoggedIn("log in first", data={"isLogin": False})
        region = {"label": "", "key": ""}
        return {
            "name": name,
            "avatar": "",
            "userid": profile["userid"],
            "email": "",
            "signature": "",
            "title": "",
            "group": "",
            "tags": [],
            "notifyCount": 0,
            "unreadCount": 0,
            "country": "",
            "geographic": {"province": region, "city": dict(region)},
            "address": "",
            "phone": "",
            "access": USER_AUTHORITY,
            "createdAt": profile["createdAt"],
        }

    def login(self, body: bytes) -> tuple[dict[str, Any], str]:
        """POST /api/login/account `{userName, password, type}`: the answer and the user
        to put in the session. A wrong password is a 401 with `status: "error"`."""
        fields = read_json(body)
        kind = fields.get("type", "account")
        if not isinstance(kind, str):
            kind = "account"
        name = self.todos.authenticate(fields.get("userName"), fields.get("password"))
        if name is None:
            raise NotLoggedIn(
                "wrong user name or password",
                status="error",
                type=kind,
                currentAuthority=GUEST_AUTHORITY,
            )
        return {"status": "ok", "type": kind, "currentAuthority": USER_AUTHORITY}, name

    def register(self, body: bytes, now: datetime) -> dict[str, Any]:
        """POST /api/register `{userName, password}`; 409 if the name is taken."""
        fields = read_json(body)
        self.todos.register(fields.get("userName"), fields.get("password"), now)
        return {
            "status": "ok",
            "type": "register",
            "currentAuthority": USER_AUTHORITY,
            "success": True,
        }

    @staticmethod
    def logout() -> dict[str, Any]:
        """POST /api/logout (the web layer empties the session)."""
        return {"status": "ok", "success": True, "data": {}}


__all__ = [
    "COLD_HEADER",
    "INSTANCE_HEADER",
    "INSTANCE_ID",
    "REQUEST_ID_HEADER",
    "TodoAPI",
    "check_content_type",
    "check_length",
    "error_body",
    "instance_headers",
    "read_json",
    "request_time",
]
