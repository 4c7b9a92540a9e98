"""A todo list that keeps its todos and logins in module globals: right on one warm
instance, wrong as soon as a request lands on another. `faasgi check` must catch it.

The same routes as todos_in_dynamodb.py: POST /todos {"title"}, GET /todos,
POST /login {"user"} (sets a cookie), GET /me.
"""

import json
import uuid

from faasgi import serverless

TODOS = []
SESSIONS = {}


def app(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length) or b"null")
    headers = [("Content-Type", "application/json")]
    cookie = environ.get("HTTP_COOKIE", "")
    session_id = cookie.partition("sid=")[2].split(";")[0]
    if (method, path) == ("POST", "/todos"):
        todo = {"id": str(uuid.uuid4()), "title": body["title"]}
        TODOS.append(todo)
        answer = todo
    elif (method, path) == ("GET", "/todos"):
        answer = {"todos": TODOS}
    elif (method, path) == ("POST", "/login"):
        session_id = uuid.uuid4().hex
        SESSIONS[session_id] = body["user"]
        headers.append(("Set-Cookie", f"sid={session_id}; Path=/; HttpOnly"))
        answer = {"user": body["user"]}
    elif (method, path) == ("GET", "/me"):
        answer = {"user": SESSIONS.get(session_id)}
    else:
        start_response("404 Not Found", headers)
        return [b'{"error": "not found"}']
    start_response("200 OK", headers)
    return [json.dumps(answer).encode()]


handler = serverless(app)
