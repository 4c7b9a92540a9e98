"""Answers after sleeping `?seconds=N`: keeps an instance busy (scale-out, queueing,
timeouts). Answers its pid, so a test can tell instances apart. When $STARTED_LOG is set,
appends its pid there as a sleep begins, so a test knows the instance is busy."""

import os
import time
from urllib.parse import parse_qs

from faasgi import serverless


def app(environ, start_response):
    seconds = float(parse_qs(environ["QUERY_STRING"]).get("seconds", ["0"])[0])
    if seconds and "STARTED_LOG" in os.environ:
        with open(os.environ["STARTED_LOG"], "a") as log:
            log.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]


handler = serverless(app)
