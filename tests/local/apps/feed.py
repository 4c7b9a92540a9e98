"""A WSGI app whose answers are generators, for streaming through the emulator. Streams or
not as $FAASGI_INVOKE_MODE says (the handler sets no mode).

- `/feed?count=N&delay=S`: N lines `chunk n`, S seconds apart;
- `/broken`: one chunk, then an exception (an error after the first byte);
- `/after`: one chunk; then, after the response, a line in $AFTER_LOG 0.3 s later.
"""

import os
import time
from urllib.parse import parse_qs

import faasgi
from faasgi import serverless


def _after() -> None:
    time.sleep(0.3)
    with open(os.environ["AFTER_LOG"], "a") as log:
        log.write(f"{time.time():.6f}\n")


def app(environ, start_response):
    query = parse_qs(environ["QUERY_STRING"])
    path = environ["PATH_INFO"]
    start_response(
        "200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    )
    if path == "/broken":
        return _broken()
    if path == "/after":
        faasgi.after_response(_after)
        return [b"answered"]
    count = int(query.get("count", ["3"])[0])
    delay = float(query.get("delay", ["0"])[0])
    return _feed(count, delay)


def _feed(count, delay):
    for n in range(count):
        if n:
            time.sleep(delay)
        yield f"chunk {n}\n".encode()


def _broken():
    yield b"first\n"
    raise RuntimeError("the feed broke")


handler = serverless(app)
