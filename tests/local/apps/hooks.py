"""Writes "<pid> init" and "<pid> shutdown" lines to the file $HOOKS_LOG from its
lifecycle hooks, so a test can see which instances ran which hook. Sleeps `?seconds=N`
before answering its pid, so two requests can keep two instances busy ("<pid> busy" is
written as the sleep begins); its shutdown hook takes $HOOKS_SHUTDOWN_SECONDS (default 0),
to be caught if it is cut short."""

import os
import time
from urllib.parse import parse_qs

from faasgi import serverless


def app(environ, start_response):
    seconds = float(parse_qs(environ["QUERY_STRING"]).get("seconds", ["0"])[0])
    if seconds:
        _record("busy")
    time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]


handler = serverless(app)


def _record(what):
    with open(os.environ["HOOKS_LOG"], "a") as log:
        log.write(f"{os.getpid()} {what}\n")


@handler.on_init
def started():
    _record("init")


@handler.on_shutdown
def stopped():
    time.sleep(float(os.environ.get("HOOKS_SHUTDOWN_SECONDS", "0")))
    _record("shutdown")
