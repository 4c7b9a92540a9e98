"""Sessions in development mode (no secret), as the todo list runs under the emulator: the
warning that the secret is public must appear once per instance."""

import os

from faasgi import serverless
from faasgi.state import MemoryStore, Sessions

os.environ.pop("FAASGI_SESSION_SECRET", None)
sessions = Sessions(MemoryStore(), dev=True)


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


handler = serverless(app)
