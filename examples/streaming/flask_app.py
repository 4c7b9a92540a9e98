"""An LLM-style token feed on Flask, streamed as server-sent events.

    faasgi serve examples.streaming.flask_app:handler

The same page and feed as fastapi_app.py, with a generator response, and Flask's
`call_on_close` for the work after the response (faasgi runs it once the client has the
answer; `faasgi.after_response(fn)` would do the same).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flask

from examples.streaming.tokens import (
    SSE_HEADERS,
    bounded,
    event,
    pause,
    record_after_response,
    token,
)
from faasgi import serverless

STATIC = Path(__file__).resolve().parent / "static"


def create_app() -> flask.Flask:
    app = flask.Flask(__name__, static_folder=None)

    @app.get("/")
    def index() -> flask.Response:
        return flask.send_from_directory(STATIC, "index.html")

    @app.get("/tokens")
    def tokens() -> flask.Response:
        args = flask.request.args
        prompt = args.get("prompt", "hello")
        try:
            number, seconds = bounded(args.get("count"), args.get("delay"))
        except ValueError as error:
            flask.abort(400, str(error))

        def feed() -> Iterator[str]:
            for position in range(number):
                if position:
                    pause(seconds)
                yield event(token(prompt, position))
            yield event(str(number), "done")

        response = flask.Response(feed(), mimetype="text/event-stream", headers=SSE_HEADERS)
        response.call_on_close(lambda: record_after_response(prompt, number))
        return response

    return app


handler = serverless(create_app, invoke_mode="RESPONSE_STREAM")
