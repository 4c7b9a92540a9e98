"""`/crash` ends the instance process mid-invocation (as an out-of-memory kill would);
`/raise` lets an exception escape the handler; anything else answers the pid."""

import os

from faasgi import serverless


def app(environ, start_response):
    if environ["PATH_INFO"] == "/crash":
        os._exit(3)
    if environ["PATH_INFO"] == "/raise":
        raise RuntimeError("the app gave up")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]


handler = serverless(app, raise_app_errors=True)
