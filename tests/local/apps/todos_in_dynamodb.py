"""todos_in_memory.py's twin with its state in DynamoDB (faasgi.state): todos as items,
logins as server-side sessions. The same answers on one instance or many.

Declares its table with `faasgi_tables()`, so `faasgi serve` and `faasgi check` create it.
"""

import json
import os
import uuid

from faasgi import serverless
from faasgi.state import DynamoDBStore, Key, Sessions, WSGISessionMiddleware

TABLE = os.environ.get("TODO_TABLE", "faasgi-test-todos")


def faasgi_tables():
    return [TABLE]


def factory():
    store = DynamoDBStore(TABLE)

    def app(environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"null")
        session = environ["faasgi.session"]
        if (method, path) == ("POST", "/todos"):
            todo = {"id": str(uuid.uuid4()), "title": body["title"]}
            count = store.update(Key("todos", "count"), lambda n: (n or 0) + 1).value
            store.put(Key("todos", f"todo#{count:06d}"), todo)
            answer = todo
        elif (method, path) == ("GET", "/todos"):
            page = store.query("todos", prefix="todo#")
            answer = {"todos": [item.value for item in page.items]}
        elif (method, path) == ("POST", "/login"):
            session["user"] = body["user"]
            session.regenerate()
            answer = {"user": body["user"]}
        elif (method, path) == ("GET", "/me"):
            answer = {"user": session.get("user")}
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "not found"}']
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    sessions = Sessions(store, secret="a local test secret, not a real one")
    return WSGISessionMiddleware(app, sessions)


handler = serverless(factory)
